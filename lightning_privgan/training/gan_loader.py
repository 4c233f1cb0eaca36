"""The GAN's real batches, resumable mid-epoch."""
from __future__ import annotations

from typing import Callable

import torch
from torch.utils.data import DataLoader

from ..data.image_dataset import ImageDataset
from ..data.position_sampler import PositionBatchSampler
from ..data.real_store import RealData


def real_train_loader(data: RealData, per_rank_batch: int, num_workers: int, seed: int,
                      position: Callable[[], int] | None = None) -> DataLoader:
    """Shuffled real batches; `position` (batches trained so far) makes a resumed run continue
    the interrupted epoch where it stopped (data/position_sampler.py)."""
    train = data.split("train")
    if len(train) < per_rank_batch:
        raise ValueError(f"the train split holds {len(train)} images, fewer than one per-rank GAN batch "
                         f"({per_rank_batch}); lower gan.batch_size")
    dataset = ImageDataset(train.images, train.labels)  # reads each image when drawn (DDP: only this rank's)
    sampler = PositionBatchSampler(len(dataset), per_rank_batch, seed, position)
    return DataLoader(dataset, batch_sampler=sampler, num_workers=num_workers,
                      generator=torch.Generator().manual_seed(seed))
