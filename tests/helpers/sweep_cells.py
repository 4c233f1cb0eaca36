"""Fabricated stage outputs and run-folder snapshots for the sweep tests."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from lightning_privgan.stages import STAGE_ORDER


def fabricate_downstream(run_dir: Path, accs: dict[str, list[float]]) -> None:
    """downstream/runs.csv as the downstream stage writes it."""
    (run_dir / "downstream").mkdir(parents=True, exist_ok=True)
    pd.DataFrame([{"source": s, "seed": i, "acc": a} for s, values in accs.items() for i, a in enumerate(values)]
                 ).to_csv(run_dir / "downstream" / "runs.csv", index=False)


def fabricate_audit(run_dir: Path, distances: dict[str, list[float]], reported_rate: dict[str, float] | None = None,
                    attack_auc: dict[str, tuple[float, float, float]] | None = None):
    """privacy_audit/audit.json and nearest_<source>.csv as the privacy_audit stage writes them (distance l2);
    `attack_auc`: {source: (AUC, low, high)} of the best release-level attack (none by default)."""
    (run_dir / "privacy_audit").mkdir(parents=True, exist_ok=True)
    sources = {}
    for s, d in distances.items():
        d = np.asarray(d, dtype=np.float32)
        pd.DataFrame({"l2_distance": d, "l2_nearest_train_index": 0}).to_csv(run_dir / "privacy_audit" / f"nearest_{s}.csv",
                                                                           index=False)
        rate = (reported_rate or {}).get(s, float((d < THRESHOLD).mean()))
        sources[s] = {"distances": {"l2": {"mean_min": float(d.mean()), "near_duplicate_rate": rate,
                                           "threshold": THRESHOLD}}}
    (run_dir / "privacy_audit" / "audit.json").write_text(json.dumps({
        "sources": sources, "thresholds": {"l2": THRESHOLD},
        "path_curve": {"distance": "l2", "curves": {}, "paired": PAIRED},
        **({"release_attacks": {"best": {s: {"distance": "l2", "auc": {"value": v, "low": lo, "high": hi}}
                                         for s, (v, lo, hi) in attack_auc.items()}}} if attack_auc else {})}))


def fabricate_walk(run_dir: Path, priv: tuple[float, float] = (4.0, 3.0)) -> None:
    """walk/paths.pt with PLAN's step logs as the walk stage writes them: two chunks (6 and 2
    pairs), whose per-chunk means the collector must weight by their pair counts."""
    import torch

    def log(first: float, last: float, pairs: int) -> list[dict]:
        return [{"step": i, "priv": v, "cls": 2 * v, "eq": 1.0, "loss": 0.0, "active_pairs": pairs}
                for i, v in enumerate((first, (first + last) / 2, last))]

    (run_dir / "walk").mkdir(parents=True, exist_ok=True)
    torch.save({"losses": {"plan": [log(priv[0], priv[1], 6), log(priv[0] + 4, priv[1] + 4, 2)], "linear": [[]]}},
               run_dir / "walk" / "paths.pt")


UPSTREAM = STAGE_ORDER[: STAGE_ORDER.index("walk")]


def snapshot(folder: Path) -> dict:
    """Every file under `folder`: content hash and modification time."""
    return {str(p.relative_to(folder)): (hashlib.sha1(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


THRESHOLD = 0.25


PAIRED = {"closest_distance": {"mean": 0.012, "low": 0.004, "high": 0.02, "pairs": 6, "resamples": 10000},
          "near_duplicate_share": {"mean": -0.1, "low": -0.3, "high": 0.05, "pairs": 6, "resamples": 10000},
          "threshold": THRESHOLD,
          "inner_closest_distance": {"mean": 0.03, "low": 0.01, "high": 0.05, "pairs": 6, "resamples": 10000},
          "endpoint_closest": {"linear": 0.5, "plan": 0.25}}


# The config sections each stand-in stage reads, as the real stages' config_keys.
KEYS = {"data": ("data",), "gan": ("gan",), "identity": ("identity",), "auditor": ("auditor",),
        "class_guide": ("classifier",), "anchors": ("anchors",), "walk": ("walk",),
        "downstream": ("downstream", "walk"), "privacy_audit": ("audit", "downstream", "walk"), "report": ("logging",)}


def fabricate_outputs(run_dir: Path, accs: dict[str, list[float]], distances: dict[str, list[float]],
                      reported_rate: dict[str, float] | None = None) -> None:
    """A sweep cell's downstream, audit and walk results, as collect reads them."""
    fabricate_downstream(run_dir, accs)
    fabricate_audit(run_dir, distances, reported_rate)
    fabricate_walk(run_dir)


PLAN_D = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]  # PLAN's per-sample nearest-real distances of a fabricated cell
