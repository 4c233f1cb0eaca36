"""A finished run folder seen through the stages' typed outputs, for the commands that read a
run after the fact (report, export, verify, sweep) rather than as a stage."""
from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from ..pipeline.run_format import check_run_format
from .stage_outputs import StageOutputs

CONFIG = "config.yaml"  # the resolved config the runner wrote when the run started


class RunFolder:
    """Refuses, on first use, a run folder of another format version (pipeline/run_format.py)."""

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)

    def exists(self) -> bool:
        return self.run_dir.is_dir()

    def stage(self, name: str) -> StageOutputs:
        from ..stages import STAGE_ORDER, load_stages

        if name not in STAGE_ORDER:
            raise ValueError(f"unknown stage {name!r}; stages are: {', '.join(STAGE_ORDER)}")
        check_run_format(self.run_dir)
        stage = next(s for s in load_stages((name,)))
        return stage.outputs(self.run_dir / name)

    def config(self) -> DictConfig | None:
        path = self.run_dir / CONFIG
        check_run_format(self.run_dir)
        return OmegaConf.load(path) if path.is_file() else None
