"""One row per cell from its stage outputs: utility, privacy (nearest-real distances and the
release-level membership attack) and PLAN − linear.

Reads what the downstream and privacy_audit stages wrote, through their typed outputs (runs.csv,
audit.json, nearest_<source>.csv). The per-sample distances are re-aggregated here for their
intervals, and checked against the audit's own figures so the two can never disagree.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..stages.outputs import AuditOutputs, DownstreamOutputs, RunFolder, WalkOutputs
from .intervals import bootstrap_means, t_interval

COLUMNS = ("cell", "source", "lambda_priv", "optim_steps", "acc_mean", "acc_low", "acc_high", "seeds",
           "near_dup_rate", "near_dup_low", "near_dup_high", "closest_distance", "closest_low", "closest_high",
           "samples", "distance", "paired_closest_mean", "paired_closest_low", "paired_closest_high",
           "paired_near_dup_mean", "paired_near_dup_low", "paired_near_dup_high", "pairs",
           "paired_inner_closest_mean", "paired_inner_closest_low", "paired_inner_closest_high",
           "endpoint_closest_linear", "endpoint_closest_plan", "priv_start", "priv_end", "cls_start", "cls_end",
           "attack_auc", "attack_low", "attack_high", "attack_distance")


def _downstream(run_dir: Path) -> DownstreamOutputs:
    return RunFolder(run_dir).stage("downstream")  # type: ignore[return-value]


def _audit(run_dir: Path) -> AuditOutputs:
    return RunFolder(run_dir).stage("privacy_audit")  # type: ignore[return-value]


def _audit_json(run_dir: Path) -> dict:
    return _audit(run_dir).read_json(AuditOutputs.AUDIT)


def utility(run_dir: Path, source: str) -> dict:
    """Test accuracy of `source`'s downstream classifiers: mean and t interval over seeds."""
    downstream = _downstream(run_dir)
    runs = downstream.runs()
    acc = runs.loc[runs["source"] == source, "acc"]
    if acc.empty:
        raise ValueError(f"{downstream.path(downstream.RUNS)} has no runs of source {source!r}")
    ci = t_interval(acc.to_numpy())
    return {"acc_mean": ci.mean, "acc_low": ci.low, "acc_high": ci.high, "seeds": ci.n}


def privacy(run_dir: Path, source: str) -> dict:
    """Near-duplicate rate and mean closest distance of `source`'s audited samples, in the
    audit's path distance, with bootstrap intervals over the samples."""
    outputs = _audit(run_dir)
    audit = outputs.read_json(outputs.AUDIT)
    distance = audit["path_curve"]["distance"]
    if source not in audit["sources"]:
        raise ValueError(f"{outputs.path(outputs.AUDIT)} has no source {source!r}")
    reported = audit["sources"][source]["distances"][distance]
    per_sample = outputs.nearest(source)[f"{distance}_distance"].to_numpy(np.float64)
    flags = (per_sample < audit["thresholds"][distance]).astype(np.float64)  # strict, as metrics/thresholds.py
    if not (math.isclose(flags.mean(), reported["near_duplicate_rate"], abs_tol=1e-9)
            and math.isclose(per_sample.mean(), reported["mean_min"], rel_tol=1e-4, abs_tol=1e-7)):
        raise ValueError(f"{outputs.folder}: nearest_{source}.csv disagrees with audit.json "
                         f"(near-dup {flags.mean():.6f} vs {reported['near_duplicate_rate']:.6f}, "
                         f"mean closest {per_sample.mean():.6f} vs {reported['mean_min']:.6f}); re-run the audit")
    ci = bootstrap_means({"near_dup": flags, "closest": per_sample})
    return {"near_dup_rate": ci["near_dup"].mean, "near_dup_low": ci["near_dup"].low,
            "near_dup_high": ci["near_dup"].high, "closest_distance": ci["closest"].mean,
            "closest_low": ci["closest"].low, "closest_high": ci["closest"].high, "samples": len(per_sample),
            "distance": distance}


def release_attack(run_dir: Path, source: str) -> dict:
    """The best release-level membership attack on `source`'s audited images (audit/attacks/): its
    AUC and percentile interval over patients, nan where the audit ran none (no holdout split,
    audit.release_attacks off, or an audit from before the attacks)."""
    best = ((_audit_json(run_dir).get("release_attacks") or {}).get("best") or {}).get(source)
    if not best:
        return {"attack_auc": math.nan, "attack_low": math.nan, "attack_high": math.nan, "attack_distance": None}
    return {"attack_auc": best["auc"]["value"], "attack_low": best["auc"]["low"], "attack_high": best["auc"]["high"],
            "attack_distance": best["distance"]}


def paired(run_dir: Path) -> dict:
    """PLAN − linear on the shared pairs (audit/paired_difference.py), nan where not computed:
    whole paths, inner points only, and how often a path's closest point is a shared anchor."""
    diff = _audit_json(run_dir)["path_curve"].get("paired") or {}
    out = {"pairs": math.nan}
    for key, name in (("closest_distance", "paired_closest"), ("near_duplicate_share", "paired_near_dup"),
                      ("inner_closest_distance", "paired_inner_closest")):
        d = diff.get(key, {})
        out.update({f"{name}_mean": d.get("mean", math.nan), f"{name}_low": d.get("low", math.nan),
                    f"{name}_high": d.get("high", math.nan)})
        out["pairs"] = d.get("pairs", out["pairs"])
    endpoint = diff.get("endpoint_closest", {})
    out.update({f"endpoint_closest_{m}": endpoint.get(m, math.nan) for m in ("linear", "plan")})
    return out


def walk_terms(run_dir: Path) -> dict:
    """PLAN's logged privacy term (KL(uniform ‖ φ_id), summed over a path's chunks) and class
    term, per path, at the walk's first and last optimiser step: how far the walk moved φ_id.
    Each walk chunk logs means over its active pairs; chunks are weighted by those counts."""
    walk: WalkOutputs = RunFolder(run_dir).stage("walk")  # type: ignore[assignment]
    logs = [log for log in walk.paths()["losses"].get("plan", []) if log]
    out = {}
    for when, i in (("start", 0), ("end", -1)):
        pairs = sum(log[i]["active_pairs"] for log in logs)
        for term in ("priv", "cls"):
            out[f"{term}_{when}"] = (sum(log[i][term] * log[i]["active_pairs"] for log in logs) / pairs
                                     if pairs else math.nan)
    return out


def cell_row(cell_dir: Path, cell) -> dict:
    """A finished cell's row (its PLAN samples and classifiers)."""
    return {"cell": cell.name, "source": "plan", "lambda_priv": cell.lambda_priv, "optim_steps": cell.optim_steps,
            **utility(cell_dir, "plan"), **privacy(cell_dir, "plan"), **paired(cell_dir), **walk_terms(cell_dir),
            **release_attack(cell_dir, "plan")}


def baseline_rows(finished_run: Path) -> list[dict]:
    """The finished run's linear source (the reference every cell is compared with) and
    its real-data accuracy; sources it did not train are left out (sweep.md says so)."""
    runs = _downstream(finished_run).runs()
    rows = []
    for source in ("linear", "real"):
        if source not in set(runs["source"]):
            continue
        row = {"cell": "finished run", "source": source, **utility(finished_run, source)}
        if source == "linear":
            row.update(privacy(finished_run, source), **release_attack(finished_run, source))
        rows.append(row)
    return rows


def sweep_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).reindex(columns=list(COLUMNS))
