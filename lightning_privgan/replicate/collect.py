"""What each finished replicate's own report holds, gathered into long tables.

Generic by construction: every numeric column of the single-run report's table
(report/table.csv, audit/report_table.py) is a metric here; every numeric column of the
per-seed tables (downstream/runs.csv, privacy_audit/mia_runs.csv) enters the variance split;
every paired figure of privacy_audit/path_curve.json enters the forest plot, its per-pair
values recomputed from path_distances.csv by the audit's own paired_values. A metric a
later version adds to those files appears across replicates with no code here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .internals import PLAN_BETTER_IF, paired_values

TABLE = Path("report") / "table.csv"  # the single-run report's table (stage `report`)
REPORT_RECORD = Path("report") / "stage.json"  # written when the replicate's last stage finished
PER_SEED = {"downstream": Path("downstream") / "runs.csv", "membership": Path("privacy_audit") / "mia_runs.csv"}
PATH_CURVE = Path("privacy_audit") / "path_curve.json"
PATH_DISTANCES = Path("privacy_audit") / "path_distances.csv"
# Columns of report/table.csv that state the budget every source got, not a result.
DESCRIPTIVE = {"steps", "batch_size", "images_seen", "distinct_images", "runs", "fd_n"}


def finished(folder: Path) -> bool:
    return (folder / REPORT_RECORD).is_file() and (folder / TABLE).is_file()


@dataclass
class Collected:
    replicates: list[str]  # folder names, in order
    metrics: pd.DataFrame  # replicate, source, metric, value
    per_seed: pd.DataFrame  # replicate, table, source, seed, metric, value
    paired: pd.DataFrame  # replicate, figure, mean, low, high, pairs (the replicate's own bootstrap over pairs)
    pair_differences: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # figure -> replicate -> PLAN − linear per pair
    distance: str | None = None  # the path distance the paired figures use


def _numeric_long(df: pd.DataFrame, keys: list[str], skip: set[str]) -> pd.DataFrame:
    cols = [c for c in df.columns if c not in keys and c not in skip and pd.api.types.is_numeric_dtype(df[c])]
    return df.melt(id_vars=keys, value_vars=cols, var_name="metric", value_name="value").dropna(subset=["value"])


def _step_distances(path: Path) -> dict[str, torch.Tensor]:
    """{method: [P, n]} from path_distances.csv (method, pair, step, distance)."""
    if not path.is_file():
        return {}
    table = pd.read_csv(path)
    out = {}
    for method, g in table.groupby("method"):
        wide = g.pivot(index="pair", columns="step", values="distance").sort_index().sort_index(axis=1)
        out[str(method)] = torch.tensor(wide.to_numpy(), dtype=torch.float64)
    return out


def closest_at_anchor(steps: dict[str, torch.Tensor]) -> pd.DataFrame:
    """source, metric, value: per method, the share of paths whose closest point to a real image
    is one of its two anchors (the endpoints both methods share, which the walk cannot move)."""
    rows = []
    for method, d in steps.items():
        if d.shape[1] >= 2:
            nearest = d.argmin(1)
            share = ((nearest == 0) | (nearest == d.shape[1] - 1)).double().mean().item()
            rows.append({"source": method, "metric": "closest_at_anchor_share", "value": share})
    return pd.DataFrame(rows, columns=["source", "metric", "value"])


def _paired(name: str, folder: Path, steps: dict[str, torch.Tensor], rows: list[dict],
            differences: dict[str, dict[str, np.ndarray]]) -> str | None:
    if not (folder / PATH_CURVE).is_file():
        return None
    curve = json.loads((folder / PATH_CURVE).read_text())
    paired = curve.get("paired") or {}
    for figure, d in paired.items():
        if isinstance(d, dict) and {"mean", "low", "high"} <= set(d):
            rows.append({"replicate": name, "figure": figure, "mean": d["mean"], "low": d["low"], "high": d["high"],
                         "pairs": d.get("pairs")})
    if "threshold" in paired and {"linear", "plan"} <= set(steps):
        for figure, (lin, plan) in paired_values(steps["linear"], steps["plan"], float(paired["threshold"])).items():
            diff = (plan - lin).numpy()
            recorded = paired.get(figure, {}).get("mean")
            if recorded is not None and not np.isclose(diff.mean(), recorded, rtol=1e-6, atol=1e-9):
                raise ValueError(f"{folder}: PLAN − linear {figure} recomputed from {PATH_DISTANCES} is {diff.mean():.6g}, "
                                 f"but {PATH_CURVE} says {recorded:.6g}; the two files are from different audits")
            differences.setdefault(figure, {})[name] = diff
    return curve.get("distance")


def with_baseline(own: pd.DataFrame, baseline_csv: Path | None) -> pd.DataFrame:
    """`own` with the rows of the sources it lacks taken from `baseline_csv`: a sweep cell trains
    and audits PLAN only, and its replicate's real, linear and k-same figures are the same as the
    cell would have measured (they do not depend on λ_priv or optim_steps)."""
    if baseline_csv is None or not Path(baseline_csv).is_file():
        return own
    base = pd.read_csv(baseline_csv, keep_default_na=False, na_values=[""])
    if "source" not in base.columns or "source" not in own.columns:
        return own
    return pd.concat([own, base[~base["source"].isin(set(own["source"]))]], ignore_index=True)


def collect(folders: list[Path], labels: list[str] | None = None, baselines: list[Path] | None = None) -> Collected:
    """The long tables of the finished replicate folders `folders`, named `labels` (default: the
    folder names; a sweep cell's folders share one name and are named by their replicate).
    `baselines`, one per folder: the finished run each sweep cell came from, whose sources the
    cell did not train fill its tables (with_baseline)."""
    labels = [f.name for f in folders] if labels is None else list(labels)
    if len(set(labels)) != len(folders):
        raise ValueError(f"replicate names must be unique, one per folder: {labels}")
    if baselines is not None and len(baselines) != len(folders):
        raise ValueError(f"one baseline run per folder is needed: {len(baselines)} baselines for {len(folders)} folders")
    metrics, per_seed, paired_rows = [], [], []
    differences: dict[str, dict[str, np.ndarray]] = {}
    distance = None
    for i, (folder, name) in enumerate(zip(folders, labels)):
        base = None if baselines is None else Path(baselines[i])
        table = with_baseline(pd.read_csv(folder / TABLE), None if base is None else base / TABLE)
        metrics.append(_numeric_long(table, ["source"], DESCRIPTIVE).assign(replicate=name))
        steps = _step_distances(folder / PATH_DISTANCES)
        metrics.append(closest_at_anchor(steps).assign(replicate=name))
        for label, rel in PER_SEED.items():
            if (folder / rel).is_file():
                runs = with_baseline(pd.read_csv(folder / rel), None if base is None else base / rel)
                if {"source", "seed"} <= set(runs.columns):
                    per_seed.append(_numeric_long(runs, ["source", "seed"], set(DESCRIPTIVE)).assign(replicate=name,
                                                                                                    table=label))
        distance = _paired(name, folder, steps, paired_rows, differences) or distance
    cols = ["replicate", "source", "metric", "value"]
    return Collected(
        replicates=labels,
        metrics=pd.concat(metrics)[cols] if metrics else pd.DataFrame(columns=cols),
        per_seed=pd.concat(per_seed)[["replicate", "table", "source", "seed", "metric", "value"]] if per_seed
        else pd.DataFrame(columns=["replicate", "table", "source", "seed", "metric", "value"]),
        paired=pd.DataFrame(paired_rows, columns=["replicate", "figure", "mean", "low", "high", "pairs"]),
        pair_differences=differences, distance=distance)


def better_if(figure: str) -> str:
    """Which way a paired figure favours PLAN (the audit's table; by its name for a new one)."""
    if figure in PLAN_BETTER_IF:
        return PLAN_BETTER_IF[figure]
    return "higher" if "distance" in figure else "lower"
