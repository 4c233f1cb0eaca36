"""A fabricated results folder (downstream and privacy_audit outputs) that the report is built from."""
from __future__ import annotations

import json

import pandas as pd
import torch

from lightning_privgan.audit.path_curve import summarize_path_distances
from lightning_privgan.pipeline.run_format import write_run_format
from lightning_privgan.stages.downstream import summarize_runs


def fabricate_report_inputs(run_dir, allow_real: bool | None = None):
    (run_dir / "downstream").mkdir(parents=True)
    write_run_format(run_dir)
    (run_dir / "privacy_audit").mkdir()
    runs = pd.DataFrame([
        {"source": s, "seed": k, "acc": acc + 0.01 * k, "auroc": acc + 0.05, "macro_acc": acc, "f1": acc, "kappa": 0.1,
         "steps": 96, "batch_size": 64, "images_seen": 6144, "distinct_images": distinct}
        for s, acc, distinct in (("real", 0.9, 288), ("linear", 0.7, 6144), ("plan", 0.8, 6144), ("ksame", 0.6, 96))
        for k in range(3)
    ])
    summarize_runs(runs).to_csv(run_dir / "downstream" / "summary.csv", index=False)
    (run_dir / "downstream" / "budget.json").write_text(json.dumps(
        {"steps": 96, "batch_size": 64, "epochs": 6, "steps_per_epoch": 16, "images_seen": 6144,
         "augment": "standard", "class_weighting": True}))
    dist = lambda m: {"auditor": {"mean_min": m, "median_min": m, "near_duplicate_rate": 0.02, "threshold": 0.1},
                      "l2": {"mean_min": 2 * m, "median_min": 2 * m, "near_duplicate_rate": 0.0, "threshold": 0.2}}
    reid = {"rate": 0.05, "chance": 0.01, "most_named": [], "holdout_false_alarm_rate": 0.03}
    mia = {"threshold_balanced_accuracy_mean": 0.52, "threshold_balanced_accuracy_std": 0.01, "threshold_auc_mean": 0.53,
           "shadow_balanced_accuracy_mean": 0.51, "shadow_balanced_accuracy_std": 0.02, "shadow_auc_mean": 0.5, "runs": 3}
    curves = {m: summarize_path_distances(torch.rand(4, 6)).to_dict() for m in ("linear", "plan")}
    audit = {
        "sources": {s: {"origin": "real" if s == "real" else "synthetic", "num_samples": 8, "distances": dist(0.3),
                        "reid": reid, "fd": 12.5, "kid_mean": 0.0042, "kid_std": 0.0011, "n": 96,
                        "gate": None if s in ("real", "ksame") else {"rejected": 30, "candidates": 130}}
                    for s in ("real", "linear", "plan", "ksame")},
        "fd_samples": 96, "kid_subsets": 50, "kid_subset_size": 48,
        "gate": {"threshold": 0.0463, "threshold_source": "calibrated: the audit's auditor near-duplicate threshold"},
        "thresholds": {"auditor": 0.1, "l2": 0.2}, "near_duplicate_quantile": 0.01,
        "fd_features": "auditor embedding", "skipped": ["LPIPS skipped: audit.lpips_weights is not set"],
        "path_curve": {"distance": "auditor", "curves": curves},
        "membership": {s: mia for s in ("real", "linear", "plan", "ksame")},
        "membership_setup": {"members": 40, "nonmembers": 10, "shadow_models": 2, "shadow_train_balanced_accuracy": 0.6},
        "reid_confidence": 0.9, "reid_holdout_false_alarm_rate": 0.03, "reid_chance": 0.01,
    }
    (run_dir / "privacy_audit" / "audit.json").write_text(json.dumps(audit))
    (run_dir / "privacy_audit" / "path_curve.json").write_text(json.dumps(audit["path_curve"]))
    for s in ("plan", "ksame", "real"):
        origin = "real" if s == "real" else "synthetic"
        torch.save({"images": torch.randint(0, 256, (6, 1, 8, 8), dtype=torch.uint8), "origin": origin},
                   run_dir / "privacy_audit" / f"grid_{s}.pt")
    if allow_real is not None:
        (run_dir / "config.yaml").write_text(f"name: fab\nlogging:\n  allow_real_images: {str(allow_real).lower()}\n")
