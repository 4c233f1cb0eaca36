"""The DataLoader every classifier trains and validates with."""
from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset

from ..data.image_dataset import reseed_worker_transform


def make_loader(dataset: Dataset, batch_size: int, shuffle: bool, num_workers: int, seed: int) -> DataLoader:
    generator = torch.Generator().manual_seed(seed)  # reproducible shuffling and worker seeds
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        worker_init_fn=reseed_worker_transform if num_workers > 0 else None,
        generator=generator,
        persistent_workers=False,  # fresh workers each epoch draw fresh augmentation seeds
        drop_last=False,
    )
