"""Datasets of the classifiers over in-memory RealData tensors, and the identity train/val split.

Identity validation ("re-identification on unseen scans of training patients"): a
training patient with several scans gives one of them, chosen with the stage seed,
to validation; φ_id never trains on it. Data with one image per identity (MedMNIST)
has no unseen scan to hold out, so there validation uses fixed augmented views of
the training images: it measures robustness to acquisition jitter, a weaker test,
and metrics.json says which protocol was used.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .image_dataset import ImageDataset
from .image_store import LazyImages
from .real_store import SplitTensors

HELDOUT_SCANS = "heldout_scans"
AUGMENTED_VIEWS = "augmented_views"


@dataclass
class IdentitySplit:
    train_images: LazyImages | torch.Tensor  # float [N, C, H, W] in [-1, 1]
    train_labels: torch.Tensor  # identity index
    val_images: torch.Tensor
    val_labels: torch.Tensor
    protocol: str  # HELDOUT_SCANS | AUGMENTED_VIEWS
    heldout_rows: list[int]  # manifest rows given to validation (HELDOUT_SCANS)


def identity_labels(patient_ids: np.ndarray, identities: list[str]) -> torch.Tensor:
    index = {pid: i for i, pid in enumerate(identities)}
    unknown = sorted(set(map(str, patient_ids)) - set(index))
    if unknown:
        raise ValueError(f"patients {unknown[:5]} are not among the training identities")
    return torch.as_tensor([index[str(p)] for p in patient_ids], dtype=torch.long)


def augmented_views(images: torch.Tensor, transform) -> torch.Tensor:
    """One fixed augmented view per image (float in [-1, 1]); the transform's seed fixes them.

    `transform` is a transforms.build_train_transform pipeline (uint8 HWC -> float [-1, 1]),
    normally strength "identity" with ignore_enabled=True.
    """
    if transform is None:
        raise ValueError(
            "augmented-view validation needs an augmentation pipeline, got no transform "
            "(build one with build_train_transform(..., strength='identity', ignore_enabled=True))"
        )
    views = ImageDataset(images, torch.zeros(len(images), dtype=torch.long), transform)
    return torch.stack([views[i][0] for i in range(len(views))])


def _subset(images, mask: torch.Tensor):
    """Rows of a lazy split stay lazy (no float copy of the train split); tensors are indexed."""
    return images.subset(mask) if isinstance(images, LazyImages) else images[mask]


def split_identity_data(train: SplitTensors, identities: list[str], seed: int, view_transform=None) -> IdentitySplit:
    """Train/val of φ_id from the `train` split: one held-out scan per multi-scan patient,
    else augmented views (see the module docstring)."""
    if len(train) == 0:
        raise ValueError("the train split is empty: no identities to learn")
    labels = identity_labels(train.patient_ids, identities)
    rng = np.random.default_rng(seed)
    held: list[int] = []
    for ident in range(len(identities)):
        members = np.flatnonzero(labels.numpy() == ident)
        if len(members) >= 2:
            held.append(int(rng.choice(members)))
    if held:
        is_val = torch.zeros(len(labels), dtype=torch.bool)
        is_val[held] = True
        return IdentitySplit(
            train_images=_subset(train.images, ~is_val),
            train_labels=labels[~is_val],
            val_images=_subset(train.images, is_val),
            val_labels=labels[is_val],
            protocol=HELDOUT_SCANS,
            heldout_rows=sorted(int(train.rows[i]) for i in held),
        )
    return IdentitySplit(
        train_images=train.images,
        train_labels=labels,
        val_images=augmented_views(train.images, view_transform),
        val_labels=labels,
        protocol=AUGMENTED_VIEWS,
        heldout_rows=[],
    )
