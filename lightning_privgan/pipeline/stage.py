"""The contract between the runner and a stage.

A stage is a name, the upstream stages whose outputs it reads (`needs`), the config
sections that change its result, its typed outputs (stages/outputs.py), and a function that
writes them through `ctx.outputs`. It reads an upstream stage only through
`ctx.input(name)`, which refuses any stage not in `needs`: the cache hash covers exactly
what a stage read. Adding a stage = one file under lightning_privgan/stages/ (plus its
outputs class in stages/outputs.py) and one line in pipeline/stage_table.py's STAGE_ORDER.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, TypeVar

import torch
from omegaconf import DictConfig
from rich.console import Console

from ..core.distributed import global_rank, wait_for
from ..core.seeds import derive_seed
from ..core.world import World, join_world, local_device
from .stage_outputs import StageOutputs
from .stage_table import STAGE_ORDER, load_stages

T = TypeVar("T")


class UndeclaredInputError(RuntimeError):
    """A stage read a stage it does not declare in `needs` (its cache would not notice a change there)."""


@dataclass
class StageContext:
    cfg: DictConfig
    run_dir: Path
    name: str
    console: Console = field(default_factory=Console)
    # The runner passes both; left out (a stage run by hand, a test), they come from the
    # stage table when `name` is one of its stages, so the same rules hold.
    needs: Optional[tuple[str, ...]] = None
    outputs_of: Optional[Mapping[str, type[StageOutputs]]] = None

    def __post_init__(self) -> None:
        if self.needs is None or self.outputs_of is None:
            table = {s.name: s for s in load_stages()} if self.name in STAGE_ORDER else {}
            if self.needs is None:
                self.needs = table[self.name].needs if self.name in table else ()
            if self.outputs_of is None:
                self.outputs_of = {name: s.outputs for name, s in table.items()}

    @property
    def out(self) -> Path:
        """This stage's folder (runs/<experiment>/<stage>/)."""
        path = self.run_dir / self.name
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def outputs(self) -> StageOutputs:
        """This stage's typed outputs, for writing them."""
        return self.outputs_of.get(self.name, StageOutputs)(self.out)

    def input(self, stage: str) -> Any:
        """The typed outputs of an upstream stage the runner has completed; only declared needs."""
        if stage not in self.needs:
            raise UndeclaredInputError(
                f"stage {self.name!r} reads the outputs of {stage!r}, which is not among its needs "
                f"{list(self.needs)}; add it to the stage's `needs` so that its cache follows that stage")
        return self.outputs_of.get(stage, StageOutputs)(self.run_dir / stage)

    # -- where this process stands (DDP) ------------------------------------------
    @property
    def rank(self) -> int:
        return global_rank()

    @property
    def world_size(self) -> int:
        return int(self.cfg.trainer.devices) * int(self.cfg.trainer.num_nodes)

    @property
    def is_global_zero(self) -> bool:
        return self.rank == 0

    @property
    def device(self) -> torch.device:
        """This process's device: its own GPU under DDP, unless the experiment is CPU-only."""
        return local_device(self.cfg.trainer)

    def join_world(self) -> World:
        """Rank, size and device of a stage that works on every rank without a Trainer (the other
        ranks are started if need be)."""
        return join_world(self.cfg.trainer)

    def barrier(self, condition: Callable[[], T], what: str) -> T:
        """Wait until `condition` holds on the shared file system (e.g. another rank's file exists)."""
        return wait_for(condition, what)

    def seed(self, *names: object) -> int:
        return derive_seed(self.cfg.seed, self.name, *names)


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[StageContext], None]
    needs: tuple[str, ...] = ()
    config_keys: tuple[str, ...] = ()
    # Sections of the config that never change results (devices, logging) are left out
    # of config_keys so that moving a run from CPU to a cluster keeps its cache.
    # The settings that identify the stage's result, where they are narrower than the
    # config_keys slice (the gan stage: not the anchors' projection settings, and only the
    # import's settings for a pretrained network). None: the slice of config_keys.
    settings: Optional[Callable[[DictConfig], dict]] = None
    description: str = ""
    # True for stages that train with Lightning: every rank runs them (DDP) and their
    # code must write outputs only where ctx.is_global_zero. Other stages run on rank 0
    # while the other ranks wait for their completion record.
    distributed: bool = False
    # Called with (cfg, this stage's outputs) once its results exist, cached or fresh: checks
    # settings of later stages against them (raises ConfigError) before any later work.
    check_config: Optional[Callable[[DictConfig, StageOutputs], None]] = None
    outputs: type[StageOutputs] = StageOutputs
