"""Outputs of the `privacy_audit` stage: the privacy figures per source, the path curve, membership inference."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from .stage_outputs import StageOutputs


class AuditOutputs(StageOutputs):
    stage = "privacy_audit"
    REQUIRED = ("audit.json", "privacy.csv", "path_curve.json")
    CHECKED = ("nearest_*.csv", "mia_runs.csv", "path_distances.csv", "grid_*.pt")  # the report and a release read them
    AUDIT = "audit.json"
    PATH_CURVE = "path_curve.json"

    def audit(self) -> dict | None:
        return self.read_json_if_present(self.AUDIT)

    def path_curve(self) -> dict | None:
        return self.read_json_if_present(self.PATH_CURVE)

    def nearest(self, source: str) -> pd.DataFrame:
        """Per-sample nearest-real distances of `source` (one column per distance kind)."""
        return pd.read_csv(self.existing(f"nearest_{source}.csv"))

    def grid_files(self) -> list[Path]:
        """grid_<source>.pt: uint8 samples per source that the report draws."""
        return sorted(self.folder.glob("grid_*.pt"))

    @staticmethod
    def read_grid(path: Path) -> dict:
        return torch.load(path, map_location="cpu", weights_only=True)
