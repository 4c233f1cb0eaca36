"""The contract between the runner and a stage.

A stage is a name, the upstream stages whose outputs it reads, the config sections
that change its result, and a function that writes its outputs into `ctx.out`.
Adding a stage = one file under lightning_privgan/stages/ and one line in
stages/__init__.py's STAGES list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from omegaconf import DictConfig
from rich.console import Console

from .seeds import derive_seed


@dataclass
class StageContext:
    cfg: DictConfig
    run_dir: Path
    name: str
    console: Console = field(default_factory=Console)

    @property
    def out(self) -> Path:
        """This stage's folder (runs/<experiment>/<stage>/)."""
        path = self.run_dir / self.name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def input(self, stage: str) -> Path:
        """The folder of an upstream stage, which the runner has completed."""
        return self.run_dir / stage

    @property
    def is_global_zero(self) -> bool:
        from .distributed import is_global_zero

        return is_global_zero()

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
    description: str = ""
    # True for stages that train with Lightning: every rank runs them (DDP) and their
    # code must write outputs only where ctx.is_global_zero. Other stages run on rank 0
    # while the other ranks wait for their completion record.
    distributed: bool = False
    # Called with (cfg, this stage's folder) once its results exist, cached or fresh: checks
    # settings of later stages against them (raises ConfigError) before any later work.
    check_config: Optional[Callable[[DictConfig, Path], None]] = None
