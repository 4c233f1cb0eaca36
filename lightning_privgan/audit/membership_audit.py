"""Membership inference against every downstream model, averaged over seeds.

Members are the real train images, non-members the evaluation half of the holdout.
The shadow attack model is fitted once (shadows trained like the real-data target, on
data no target saw) and then asked about every downstream model: it has learnt what a
model that saw an image looks like, whatever the target was trained on.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pandas as pd
import torch

from .membership import loss_threshold_attack
from .shadow_attack import LogisticAttack, apply_attack


def attack_downstream_models(
    models: list[tuple[str, int, Path]],
    members: tuple[torch.Tensor, torch.Tensor],
    nonmembers: tuple[torch.Tensor, torch.Tensor],
    shadow_attack: Optional[LogisticAttack],
    seed: int,
    device: torch.device | str = "cpu",
    batch_size: int = 256,
) -> pd.DataFrame:
    """One row per model: loss-threshold (and shadow) balanced accuracy and AUC."""
    from ..models.classifier_io import load_classifier

    rows = []
    for source, run_seed, path in models:
        net = load_classifier(path, map_location=device)
        row = {"source": source, "seed": run_seed}
        for key, value in loss_threshold_attack(net, members, nonmembers, seed=seed, batch_size=batch_size).items():
            row[f"threshold_{key}"] = value
        if shadow_attack is not None:
            for key, value in apply_attack(shadow_attack, net, members, nonmembers, batch_size).items():
                row[f"shadow_{key}"] = value
        rows.append(row)
    return pd.DataFrame(rows)


def summarize_membership(runs: pd.DataFrame) -> dict:
    """{source: {metric_mean, metric_std, runs}} over seeds."""
    metrics = [c for c in runs.columns if c.startswith(("threshold_", "shadow_"))]
    out = {}
    for source, group in runs.groupby("source", sort=False):
        entry = {"runs": int(len(group))}
        for m in metrics:
            entry[f"{m}_mean"] = float(group[m].mean())
            entry[f"{m}_std"] = float(group[m].std(ddof=1)) if len(group) > 1 else 0.0
        out[str(source)] = entry
    return out
