"""Settings of the real data: source, layout, splits, preprocessing, augmentation."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class SplitConfig:
    train: float = field(default=0.6, metadata={"help": "fraction of patients that are members (train)"})
    holdout: float = field(default=0.15, metadata={"help": "non-members kept out of every model (membership inference)"})
    val: float = field(default=0.1, metadata={"help": "validation fraction"})
    test: float = field(default=0.15, metadata={"help": "test fraction (ignored where the data set has an official test split)"})
    keep_official: bool = field(default=True, metadata={"help": "keep a data set's official test split"})


@dataclass
class PhantomConfig:
    num_patients: int = field(default=120, metadata={"help": "patients (identities)"})
    scans_per_patient: int = field(default=4, metadata={"help": "scans of each patient"})
    prevalence: float = field(default=0.5, metadata={"help": "share of diseased patients (phantom_fundus: share with DR > 0)"})


@dataclass
class AugmentConfig:
    enabled: bool = field(default=True, metadata={"help": "albumentations on training batches"})
    rotate_deg: float = field(default=5.0, metadata={"help": "max rotation (degrees)"})
    scale: float = field(default=0.05, metadata={"help": "max relative scale change"})
    translate: float = field(default=0.04, metadata={"help": "max shift, fraction of the side"})
    brightness: float = field(default=0.1, metadata={"help": "brightness jitter"})
    contrast: float = field(default=0.1, metadata={"help": "contrast jitter"})
    hflip: bool = field(default=False, metadata={"help": "horizontal flips in diagnostic training (off for chest X-rays: laterality matters); identity training never flips"})
    p: float = field(default=0.8, metadata={"help": "probability of the affine/intensity block"})


@dataclass
class DataConfig:
    source: str = field(
        default="phantom_cxr",
        metadata={"help": "phantom_cxr | phantom_fundus | medmnist | shenzhen | montgomery | tb | aptos | eyepacs | folder"},
    )
    root: Optional[str] = field(default=None, metadata={"help": "data folder (shenzhen, montgomery, aptos, eyepacs) or manifest CSV (folder)"})
    files: List[str] = field(default_factory=list, metadata={"help": "medmnist: .npz files; their train splits are united (de-duplicated)"})
    roots: List[str] = field(default_factory=list, metadata={"help": "tb: [shenzhen_root, montgomery_root]"})
    channels: int = field(default=1, metadata={"help": "1 (X-ray) or 3 (fundus)"})
    resolution: int = field(default=32, metadata={"help": "square side in pixels, power of two 16..1024"})
    num_classes: int = field(default=2, metadata={"help": "diagnostic classes"})
    class_names: List[str] = field(default_factory=lambda: ["normal", "disease"], metadata={"help": "one name per class"})
    splits: SplitConfig = field(default_factory=SplitConfig)
    phantom: PhantomConfig = field(default_factory=PhantomConfig)
    min_side: int = field(default=16, metadata={"help": "an image file whose shorter side is below this many pixels is a bad image (see on_bad_image); smaller than data.resolution but not below this: upscaled, with a warning"})
    allow_outside_root: bool = field(default=False, metadata={"help": "folder: allow CSV paths that lie outside the CSV's folder (../ or absolute)"})
    allow_missing_patient_ids: bool = field(default=False, metadata={"help": "folder: accept CSV rows with an empty patient_id, each such image its own patient (with a warning and the count); two images of one patient may then land in different splits"})
    on_bad_image: str = field(default="error", metadata={"help": "error | skip (skipped files are listed in bad_images.csv)"})
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    batch_size: int = field(default=64, metadata={"help": "real-data batch size"})
    num_workers: int = field(default=0, metadata={"help": "DataLoader workers; also the decoding threads of the data stage"})
