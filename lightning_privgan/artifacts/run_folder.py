"""A finished run folder seen through the stages' typed outputs, for the commands that read a
run after the fact (report, export, verify, sweep) rather than as a stage."""
from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from ..pipeline.stage_outputs import StageOutputs

CONFIG = "config.yaml"  # the resolved config the runner wrote when the run started


class RunFolder:
    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)

    def exists(self) -> bool:
        return self.run_dir.is_dir()

    def stage(self, name: str) -> StageOutputs:
        from ..stages import STAGE_ORDER, load_stages

        if name not in STAGE_ORDER:
            raise ValueError(f"unknown stage {name!r}; stages are: {', '.join(STAGE_ORDER)}")
        stage = next(s for s in load_stages((name,)))
        return stage.outputs(self.run_dir / name)

    def config(self) -> DictConfig | None:
        path = self.run_dir / CONFIG
        return OmegaConf.load(path) if path.is_file() else None
