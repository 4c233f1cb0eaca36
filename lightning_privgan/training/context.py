"""What training needs of the stage that runs it: the config, a name and a folder, its seeds.

The runner's StageContext (pipeline/stage.py) has all four, and so can a test's or a
notebook's plain object: training depends on these four names, not on the runner.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from omegaconf import DictConfig


class TrainingContext(Protocol):
    cfg: DictConfig
    name: str  # the stage's name: the loggers' job type, the W&B run name

    @property
    def out(self) -> Path:
        """The folder that receives checkpoints and logs."""

    def seed(self, *names: object) -> int:
        """A seed derived from the experiment's seed, the stage and `names`."""
