"""Shuffled batches that are a function of the batch's position in training, so that a run
resumed mid-epoch from a checkpoint sees exactly the batches an uninterrupted run sees.

A DataLoader with `shuffle=True` cannot do that: a new process restarts its generator, so
the resumed epoch would replay the first epoch's order. Here epoch e's order is a fixed
permutation seeded by (seed, e); iteration starts at `position()` (batches already trained,
e.g. GANModule.batches_done, restored from the checkpoint) and each DDP rank takes its
slice of every global batch, so every rank yields the same number of batches.
"""
from __future__ import annotations

from typing import Callable, Iterator

import torch
import torch.distributed as dist
from torch.utils.data import Sampler

from ..core.seeds import derive_seed


def _rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class PositionBatchSampler(Sampler[list[int]]):
    def __init__(self, num_items: int, per_rank_batch: int, seed: int, position: Callable[[], int] | None = None):
        self.num_items, self.per_rank_batch, self.seed = num_items, per_rank_batch, seed
        self._yielded = 0
        # Without a position source the sampler counts the batches it has handed out itself.
        self.position = position if position is not None else (lambda: self._yielded)

    def __len__(self) -> int:
        return self.num_items // (self.per_rank_batch * _rank_and_world()[1])

    def __iter__(self) -> Iterator[list[int]]:
        rank, world = _rank_and_world()
        per_epoch = len(self)
        if per_epoch == 0:
            return
        epoch, start = divmod(int(self.position()), per_epoch)
        order = torch.randperm(self.num_items, generator=torch.Generator().manual_seed(derive_seed(self.seed, epoch)))
        width = self.per_rank_batch * world
        for b in range(start, per_epoch):
            self._yielded += 1
            batch = order[b * width:(b + 1) * width]
            yield batch[rank * self.per_rank_batch:(rank + 1) * self.per_rank_batch].tolist()
