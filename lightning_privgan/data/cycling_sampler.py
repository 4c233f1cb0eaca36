"""A sampler that draws a fixed number of indices per epoch from reshuffled passes over a data set.

A finite source (the real train split, the k-same anchors) must give its classifier as many
optimiser steps as the synthetic stream gives its own: an epoch here is `per_epoch` indices
taken from an endless sequence of seeded permutations, continuing where the previous epoch
stopped. Every image is drawn equally often (±1 per pass), whatever the ratio of budget to
data set size, and epoch e's indices are a function of (seed, e) alone, so a resumed fit sees
the data a straight one would.
"""
from __future__ import annotations

from typing import Iterator

import torch
from torch.utils.data import Sampler


class CyclingSampler(Sampler[int]):
    def __init__(self, num_items: int, per_epoch: int, seed: int) -> None:
        if num_items < 1:
            raise ValueError(f"cannot sample from an empty data set (per_epoch={per_epoch})")
        if per_epoch < 1:
            raise ValueError(f"per_epoch must be >= 1, got {per_epoch}")
        self.num_items, self.per_epoch, self.seed = num_items, per_epoch, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:  # Lightning calls it before every training epoch
        self.epoch = epoch

    def __len__(self) -> int:
        return self.per_epoch

    def _permutation(self, cycle: int) -> torch.Tensor:
        return torch.randperm(self.num_items, generator=torch.Generator().manual_seed(self.seed * 1_000_003 + cycle))

    def __iter__(self) -> Iterator[int]:
        start = self.epoch * self.per_epoch  # position in the endless sequence of passes
        self.epoch += 1  # a wrapper that hides set_epoch still advances
        cycle, offset = divmod(start, self.num_items)
        left = self.per_epoch
        while left > 0:
            take = self._permutation(cycle)[offset:offset + left].tolist()
            yield from take
            left -= len(take)
            cycle, offset = cycle + 1, 0
