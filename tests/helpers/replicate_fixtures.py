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


def _roc(auc: float) -> dict:
    """A ROC attack's figures as audit/attacks writes them, with a chosen AUC."""
    point = lambda v: {"value": v, "low": v - 0.1, "high": v + 0.1}  # noqa: E731
    return {"auc": point(auc), "balanced_accuracy": point(auc), "tpr@0.01": point(0.02),
            "fpr_targets": [{"requested": 0.01, "fpr": 0.0125}], "members": 40, "nonmembers": 40}


def fabricate_release_attacks(folder: Path, closest_l2_auc: dict[str, float], member_share: float = 0.5) -> Path:
    """privacy_audit/release_attacks.csv written by the audit's own attack_rows: a closest-record
    (L2) and a distance-ratio attack per source with the chosen AUCs, and a null control."""
    from lightning_privgan.audit.attacks.attack_table import attack_rows

    ratio = {"value": member_share, "low": member_share - 0.1, "high": member_share + 0.1, "synthetic": 50}
    sources = {s: {"closest_record": {"l2": {**_roc(a), "split_bias": _roc(0.5)}},
                   "distance_ratio": {"l2": {**ratio, "split_bias": dict(ratio)}}} for s, a in closest_l2_auc.items()}
    image_sets = {"sources": sources, "null_controls": {"l2": {"closest_record": _roc(0.5)}}}
    (folder / "privacy_audit").mkdir(parents=True, exist_ok=True)
    attack_rows(image_sets, None).to_csv(folder / "privacy_audit" / "release_attacks.csv", index=False)
    return folder
