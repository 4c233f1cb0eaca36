"""A map-style dataset over images stored as uint8: yields (float [-1, 1] CHW tensor, long target)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset, get_worker_info

from .image_store import LazyImages
from .real_store import to_model_range, to_uint8


class ImageDataset(Dataset):
    """`images` a LazyImages view of the data stage's store (each item read from disk when
    asked for: the usual case), uint8 [N, C, H, W], or float in [-1, 1] (converted once to
    uint8 for storage: a quarter of the memory, and albumentations works on uint8 anyway);
    `transform` (albumentations, uint8 HWC -> float HWC in [-1, 1], see
    transforms.build_train_transform) or None for plain conversion."""

    def __init__(self, images: LazyImages | torch.Tensor, targets, transform: Callable | None = None):
        if len(images.shape) != 4:
            raise ValueError(f"images must be [N, C, H, W], got {images.dtype} {tuple(images.shape)}")
        if isinstance(images, LazyImages):
            pass  # read per item, see _uint8
        elif images.dtype != torch.uint8:
            if not images.is_floating_point():
                raise ValueError(f"images must be uint8 or float in [-1, 1], got {images.dtype}")
            images = to_uint8(images)
        if len(images) != len(targets):
            raise ValueError(f"{len(images)} images but {len(targets)} targets")
        self.images = images
        self.targets = torch.as_tensor(targets, dtype=torch.long)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def _uint8(self, i: int) -> torch.Tensor:
        return self.images.uint8(i) if isinstance(self.images, LazyImages) else self.images[i]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self.transform is None:
            return to_model_range(self._uint8(i)), self.targets[i]
        hwc = np.ascontiguousarray(self._uint8(i).permute(1, 2, 0).numpy())
        out = self.transform(image=hwc)["image"]
        if out.ndim == 2:  # some transforms drop a singleton channel
            out = out[:, :, None]
        return torch.from_numpy(np.ascontiguousarray(out.transpose(2, 0, 1))).float(), self.targets[i]


def reseed_worker_transform(worker_id: int) -> None:
    """DataLoader worker_init_fn: give each worker's albumentations pipeline its own seed.

    Each worker holds a copy of the pipeline with the *same* RNG state, so without this
    every worker would apply identical augmentations. torch's per-worker seed differs
    by worker and by epoch and follows the loader's seeded generator: reproducible.
    """
    info = get_worker_info()
    transform = getattr(info.dataset, "transform", None) if info is not None else None
    if transform is not None and hasattr(transform, "set_random_seed"):
        transform.set_random_seed(int(info.seed % 2**31))
