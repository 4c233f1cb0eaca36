"""The downstream comparison's training budget: the same optimiser steps, batch size, augmentation
and class weighting for every source (real, linear, PLAN, k-same).

Before, every source got the same *epochs*: the stream 16 steps per epoch in the demo, the real
split 5 and the k-same anchors 2, so a source's accuracy said as much about its budget as about
its data. Now every run takes `steps` steps of `batch_size` images, split into `epochs`
validation rounds; finite sources are cycled (data/cycling_sampler.py), the stream is sized to
steps_per_epoch batches per epoch.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch.utils.data import DataLoader, Dataset

from .cycling_sampler import CyclingSampler
from .image_dataset import reseed_worker_transform


@dataclass(frozen=True)
class TrainingBudget:
    steps: int  # optimiser steps per run (all ranks together count as one step each)
    batch_size: int
    epochs: int  # validation rounds; the checkpoint is chosen on the real val split after each

    @property
    def steps_per_epoch(self) -> int:
        return self.steps // self.epochs

    @property
    def images_seen(self) -> int:
        return self.steps * self.batch_size

    def to_dict(self) -> dict:
        return {**asdict(self), "steps_per_epoch": self.steps_per_epoch, "images_seen": self.images_seen}


def training_budget(cfg) -> TrainingBudget:
    """From the experiment config: downstream.steps, or the stream's budget when it is null."""
    ds, batch = cfg.downstream, int(cfg.classifier.batch_size)
    steps = ds.steps if ds.steps is not None else math.ceil(cfg.stream.samples_per_epoch / batch) * ds.epochs
    if steps % ds.epochs:  # validate.py refuses it first; a hand-built config lands here
        raise ValueError(f"downstream.steps={steps} is not a multiple of downstream.epochs={ds.epochs}")
    return TrainingBudget(int(steps), batch, int(ds.epochs))


def stream_settings(budget: TrainingBudget) -> dict:
    """stream.* overrides that give the WalkerDataModule exactly the budget's batches per epoch."""
    return {"batch_size": budget.batch_size, "samples_per_epoch": budget.steps_per_epoch * budget.batch_size}


def budget_loader(dataset: Dataset, budget: TrainingBudget, num_workers: int, seed: int) -> DataLoader:
    """A finite source's training loader: steps_per_epoch full batches per epoch, reshuffled passes."""
    sampler = CyclingSampler(len(dataset), budget.steps_per_epoch * budget.batch_size, seed)
    return DataLoader(dataset, batch_size=budget.batch_size, sampler=sampler, num_workers=num_workers,
                      worker_init_fn=reseed_worker_transform if num_workers > 0 else None,
                      generator=torch.Generator().manual_seed(seed),  # reproducible worker seeds
                      persistent_workers=False, drop_last=False)
