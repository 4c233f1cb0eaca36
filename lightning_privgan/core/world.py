"""The processes of a stage that works on every rank without a Lightning Trainer (the walk).

Lightning's own launcher starts the other ranks at the first fit of a run, by re-running the
command; a stage that needs them before any fit (a walk whose training stages are cached)
starts them the same way through Lightning Fabric. Under torchrun or SLURM they exist already,
and Fabric only joins them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from lightning_fabric import Fabric
from omegaconf import DictConfig


@dataclass(frozen=True)
class World:
    rank: int
    size: int
    device: torch.device

    @property
    def is_zero(self) -> bool:
        return self.rank == 0


def local_device(trainer_cfg: DictConfig) -> torch.device:
    """This process's device: its own GPU (LOCAL_RANK under DDP) unless the experiment is CPU-only."""
    use_gpu = trainer_cfg.accelerator in ("gpu", "cuda", "auto") and torch.cuda.is_available()
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))) if use_gpu else torch.device("cpu")


def join_world(trainer_cfg: DictConfig) -> World:
    """This process's rank, the world size and its device; the other ranks started if need be."""
    size = int(trainer_cfg.devices) * int(trainer_cfg.num_nodes)
    if size == 1:
        return World(0, 1, local_device(trainer_cfg))

    # The walk wraps no model: plain DDP process management is all it takes from the strategy.
    fabric = Fabric(accelerator=trainer_cfg.accelerator, devices=int(trainer_cfg.devices), num_nodes=int(trainer_cfg.num_nodes),
                    strategy="ddp")
    fabric.launch()
    return World(fabric.global_rank, fabric.world_size, fabric.device)
