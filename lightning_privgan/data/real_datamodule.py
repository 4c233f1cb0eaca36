"""LightningDataModule over the data stage's RealData, for diagnosis or identity targets.

label_kind="diagnosis": targets are labels; train/val/test/holdout are the manifest splits.
label_kind="identity": targets index `real.train_identities()` (the classes of φ_id). No
other split holds those identities, so validation uses *identity-val*: for every train
patient with at least two scans, `identity_val_scans` of its scans (seeded choice) are
taken out of training. Where no patient has two scans (MedMNIST: one image per identity)
identity-val is the train scans again seen through the train transform, i.e. it measures
recognition under augmentation. test/holdout patients are not train identities: their
target is -1 (the usual ignore_index).
"""
from __future__ import annotations

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from .image_dataset import ImageDataset, reseed_worker_transform
from .image_store import LazyImages
from .real_store import SPLITS, RealData

LABEL_KINDS = ("diagnosis", "identity")
NOT_A_TRAIN_IDENTITY = -1


def identity_val_rows(manifest, seed: int, scans_per_patient: int = 1) -> np.ndarray:
    """Manifest indices of train scans held out for identity validation (see module doc)."""
    train = manifest[manifest["split"] == "train"].sort_values("index")
    rng = np.random.default_rng(seed)
    chosen = []
    for _, rows in train.groupby("patient_id", sort=True)["index"]:
        if len(rows) >= 2:
            take = min(scans_per_patient, len(rows) - 1)  # always leave one scan to train on
            chosen.extend(rng.choice(rows.to_numpy(), size=take, replace=False).tolist())
    return np.sort(np.array(chosen, dtype=np.int64))


class RealDataModule(pl.LightningDataModule):
    def __init__(
        self,
        real: RealData,
        batch_size: int,
        num_workers: int = 0,
        train_transform=None,
        label_kind: str = "diagnosis",
        seed: int = 0,
        identity_val_scans: int = 1,
        drop_last_train: bool = False,
    ):
        super().__init__()
        if label_kind not in LABEL_KINDS:
            raise ValueError(f"label_kind must be one of {LABEL_KINDS}, got {label_kind!r}")
        self.real = real
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.train_transform = train_transform
        self.label_kind = label_kind
        self.seed = seed
        self.drop_last_train = drop_last_train
        self.identities = real.train_identities()
        self._identity_val = (
            identity_val_rows(real.manifest, seed, identity_val_scans) if label_kind == "identity" else np.zeros(0, int)
        )

    @property
    def num_classes(self) -> int:
        return len(self.identities) if self.label_kind == "identity" else self.real.num_classes

    def _rows(self, split: str) -> np.ndarray:
        """Manifest indices (= image rows) of a split, after the identity-val carve-out."""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; splits are {SPLITS}")
        m = self.real.manifest
        if self.label_kind == "identity" and split in ("train", "val"):
            train_rows = m.loc[m["split"] == "train", "index"].to_numpy()
            if len(self._identity_val) == 0:
                return train_rows  # no patient with two scans: see module doc
            held = np.isin(train_rows, self._identity_val)
            return train_rows[~held] if split == "train" else train_rows[held]
        return m.loc[m["split"] == split, "index"].to_numpy()

    def _targets(self, rows: np.ndarray) -> torch.Tensor:
        sub = self.real.manifest.set_index("index").loc[rows]
        if self.label_kind == "diagnosis":
            return torch.as_tensor(sub["label"].to_numpy(), dtype=torch.long)
        lookup = {pid: i for i, pid in enumerate(self.identities)}
        ids = [lookup.get(pid, NOT_A_TRAIN_IDENTITY) for pid in sub["patient_id"].astype(str)]
        return torch.as_tensor(ids, dtype=torch.long)

    def dataset_for(self, split: str) -> ImageDataset:
        rows = self._rows(split)
        views_of_train = split == "val" and self.label_kind == "identity" and len(self._identity_val) == 0
        augmented = split == "train" or views_of_train
        transform = self.train_transform if augmented else None
        return ImageDataset(LazyImages(self.real.images, rows), self._targets(rows), transform)

    def class_counts(self, split: str = "train") -> torch.Tensor:
        """Images per target class in a split (for inverse-frequency loss weights)."""
        targets = self.dataset_for(split).targets
        return torch.bincount(targets[targets >= 0], minlength=self.num_classes)

    def _loader(self, split: str, shuffle: bool, drop_last: bool = False) -> DataLoader:
        generator = torch.Generator().manual_seed(self.seed)
        return DataLoader(
            self.dataset_for(split),
            batch_size=self.batch_size,
            shuffle=shuffle,
            drop_last=drop_last,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            worker_init_fn=reseed_worker_transform,
            generator=generator,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True, drop_last=self.drop_last_train)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def holdout_dataloader(self) -> DataLoader:
        return self._loader("holdout", shuffle=False)
