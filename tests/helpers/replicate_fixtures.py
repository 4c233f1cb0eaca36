"""Replicate folders fabricated in milliseconds: what a finished run's report, downstream and
privacy_audit stages write that the report across replicates reads, with chosen values."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from lightning_privgan.audit.paired_difference import compare_paths

THRESHOLD = 0.5


def fabricate_replicate(folder: Path, table: list[dict], accs: dict[str, list[float]],
                        linear: np.ndarray, plan: np.ndarray) -> Path:
    """report/table.csv (rows of `table`), downstream/runs.csv (acc per seed), and the paired
    files from step distances [P, n] of linear and PLAN (path_curve.json as the audit computes it)."""
    for sub in ("report", "downstream", "privacy_audit"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    pd.DataFrame(table).to_csv(folder / "report" / "table.csv", index=False)
    (folder / "report" / "stage.json").write_text(json.dumps({"hash": "x", "token": "x:0"}))
    pd.DataFrame([{"source": s, "seed": i, "acc": a, "steps": 10, "augment": "flip"} for s, v in accs.items()
                  for i, a in enumerate(v)]).to_csv(folder / "downstream" / "runs.csv", index=False)
    rows = [{"method": m, "pair": p, "step": s, "distance": float(d[p, s])}
            for m, d in (("linear", linear), ("plan", plan)) for p in range(d.shape[0]) for s in range(d.shape[1])]
    pd.DataFrame(rows).to_csv(folder / "privacy_audit" / "path_distances.csv", index=False)
    paired = compare_paths(torch.tensor(linear), torch.tensor(plan), THRESHOLD, seed=0)
    (folder / "privacy_audit" / "path_curve.json").write_text(json.dumps({"distance": "l2", "curves": {},
                                                                          "paired": paired}))
    return folder


def shifted_paths(rng: np.random.Generator, shift: float, pair_noise: np.ndarray, steps: int = 5):
    """linear [P, n] around 1 (every point above THRESHOLD) and PLAN = linear + shift + noise_p
    at every step: PLAN − linear of each pair's closest distance is exactly shift + noise_p."""
    linear = 1.0 + rng.random((len(pair_noise), steps))
    return linear, linear + shift + pair_noise[:, None]
