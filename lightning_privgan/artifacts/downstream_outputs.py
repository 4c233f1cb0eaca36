"""Outputs of the `downstream` stage: one diagnostic model per source and seed, and their test figures."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .stage_outputs import StageOutputs


class DownstreamOutputs(StageOutputs):
    stage = "downstream"
    REQUIRED = ("runs.csv", "summary.csv")
    CHECKED = ("budget.json", "model_*_*.pt")  # the audit attacks the models
    RUNS = "runs.csv"  # one row per (source, seed)
    SUMMARY = "summary.csv"  # mean and std over seeds per source
    BUDGET = "budget.json"  # the training budget every source got (steps, batch size, augmentation, weighting)

    def model_file(self, source: str, seed: int) -> Path:
        return self.folder / f"model_{source}_{seed}.pt"

    def run_record(self, source: str, seed: int) -> Path:
        """Written when one (source, seed) run finished: an interrupted stage redoes only the others."""
        return self.folder / "runs" / f"{source}_{seed}.json"

    def models(self) -> list[tuple[str, int, Path]]:
        """(source, seed, model path) of every trained downstream model."""
        found = []
        for path in sorted(self.folder.glob("model_*_*.pt")):
            source, _, seed = path.stem[len("model_"):].rpartition("_")
            if seed.isdigit():
                found.append((source, int(seed), path))
        if not found:
            raise FileNotFoundError(f"no model_<source>_<seed>.pt in {self.folder}; run the 'downstream' stage first")
        return found

    def runs(self) -> pd.DataFrame:
        return pd.read_csv(self.existing(self.RUNS))

    def budget(self) -> dict | None:
        return self.read_json_if_present(self.BUDGET)

    def summary(self) -> pd.DataFrame | None:
        path = self.path(self.SUMMARY)
        return pd.read_csv(path) if path.is_file() else None
