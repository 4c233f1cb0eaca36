"""Outputs of the `walk` stage: linear and PLAN paths between the same anchor pairs."""
from __future__ import annotations

from pathlib import Path

from .stage_outputs import StageOutputs


class WalkOutputs(StageOutputs):
    stage = "walk"
    REQUIRED = ("paths.pt",)
    PATHS = "paths.pt"  # {"linear"/"plan": [P, n, ...], "pairs", "labels", "losses"}
    STRIPS = "strips.png"
    PARTIAL = "partial"  # finished chunks of an unfinished walk, one file per method and chunk

    def paths(self) -> dict:
        return self.load_torch(self.PATHS, weights_only=False)

    def chunk_file(self, method: str, start: int) -> Path:
        return self.folder / self.PARTIAL / f"{method}_{start:06d}.pt"
