"""The data stage's artifact: a manifest plus the decoded images, and typed access to a split.

Every model-side consumer (GAN, classifiers, anchors, audit) reads real data through
the data stage's outputs (`DataOutputs.real()`), so decoding happens once per experiment. The images
stay on disk (data/image_store.py): a split is a LazyImages view that reads the rows a
consumer indexes, so no process holds a float copy of a split, or the whole set.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..core.atomic import atomic_path, write_json_atomic
from .image_store import HEADER_FILE, ImageStore, LazyImages, MemoryImages, write_image_store
from .image_store import to_model_range  # noqa: F401  (re-exported: the conversion lives beside to_uint8)

SPLITS = ("train", "holdout", "val", "test")
MANIFEST_COLUMNS = ("index", "path", "label", "patient_id", "split")


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float [-1, 1] -> uint8 [0, 255] (clamped)."""
    return images.detach().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)


@dataclass
class SplitTensors:
    images: LazyImages | torch.Tensor  # float [N, C, H, W] in [-1, 1], read when indexed
    labels: torch.Tensor  # long [N]
    patient_ids: np.ndarray  # str [N]
    rows: np.ndarray  # int [N], manifest index of each image

    def __len__(self) -> int:
        return len(self.labels)

    def read_all(self) -> "SplitTensors":
        """The split with its images read into memory (for stages that compare against all of them)."""
        images = self.images if isinstance(self.images, torch.Tensor) else self.images.materialize()
        return replace(self, images=images)


@dataclass
class RealData:
    images: ImageStore | MemoryImages | torch.Tensor  # uint8 [N, C, H, W]; row i <-> manifest.index == i
    manifest: pd.DataFrame
    class_names: list[str]

    def __post_init__(self) -> None:
        if isinstance(self.images, torch.Tensor):  # built in memory (tests, small sources)
            self.images = MemoryImages(self.images)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def resolution(self) -> int:
        return int(self.images.shape[-1])

    def split(self, name: str) -> SplitTensors:
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; splits are {SPLITS}")
        # a copy: pandas may hand out a read-only view, which torch warns about
        rows = self.manifest.loc[self.manifest["split"] == name, "index"].to_numpy().copy()
        sub = self.manifest.set_index("index").loc[rows]
        return SplitTensors(
            images=LazyImages(self.images, rows),
            labels=torch.as_tensor(sub["label"].to_numpy().copy(), dtype=torch.long),
            patient_ids=sub["patient_id"].astype(str).to_numpy(),
            rows=rows,
        )

    def train_identities(self) -> list[str]:
        """Sorted identities of the train split: class i of φ_id is identities[i]."""
        train = self.manifest[self.manifest["split"] == "train"]
        return sorted(train["patient_id"].astype(str).unique())

    def save(self, folder: str | Path) -> None:
        folder = Path(folder)
        stored_here = isinstance(self.images, ImageStore) and self.images.folder.resolve() == folder.resolve()
        if not stored_here:  # the data stage writes its store while decoding; this path is for the rest
            self.images = write_image_store(folder, self.images)
        with atomic_path(folder / "manifest.csv") as tmp:
            self.manifest.loc[:, list(MANIFEST_COLUMNS)].to_csv(tmp, index=False)
        write_json_atomic(folder / "classes.json", {"class_names": list(self.class_names)})

    @classmethod
    def load(cls, folder: str | Path) -> "RealData":
        folder = Path(folder)
        for name in ("manifest.csv", "classes.json"):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"data stage output {folder / name} is missing; run the 'data' stage first")
        if not (folder / HEADER_FILE).is_file():
            raise FileNotFoundError(f"data stage output {folder / HEADER_FILE} is missing; run the 'data' stage first")
        images = ImageStore(folder)
        manifest = pd.read_csv(folder / "manifest.csv", dtype={"patient_id": str, "path": str})
        class_names = json.loads((folder / "classes.json").read_text())["class_names"]
        if len(manifest) != len(images):
            raise ValueError(f"{folder}: manifest has {len(manifest)} rows but the image store holds {len(images)} images")
        return cls(images=images, manifest=manifest, class_names=class_names)
