"""benchmarks/early_stop_replicates.py pairs each replicate's early-stopped and fixed-budget cells."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import torch
from tests.helpers.benchmarks import run_script_here

from lightning_privgan.pipeline.run_format import FORMAT_KEY, RUN_FORMAT_VERSION, write_run_format

FIGURES = ("acc_mean", "acc_std", "auditor_near_duplicate_rate", "l2_near_duplicate_rate", "ssim_near_duplicate_rate",
           "auditor_mean_min", "l2_mean_min", "attack_auc")


def _cell(folder: Path, replicate: str, acc: float, active: list[int], seconds: float) -> None:
    cell = folder / replicate / "lambda1_steps300"
    (cell / "report").mkdir(parents=True)
    (cell / "walk").mkdir()
    row = {key: 0.1 for key in FIGURES} | {"source": "plan", "acc_mean": acc}
    pd.DataFrame([row, {"source": "linear", **{k: 0.9 for k in FIGURES}}]).to_csv(cell / "report" / "table.csv",
                                                                                 index=False)
    logs = [[{"step": i, "loss": 1.0, "active_pairs": a} for i, a in enumerate(active)]]
    torch.save({"losses": {"plan": logs}}, cell / "walk" / "paths.pt")
    (cell / "walk" / "stage.json").write_text(json.dumps({FORMAT_KEY: RUN_FORMAT_VERSION, "seconds": seconds}))
    write_run_format(cell)  # the runner's stamp: the script reads the cells as run folders


def test_fixed_minus_early_per_replicate_with_an_interval_over_replicates(tmp_path, capsys, monkeypatch):
    early, fixed = tmp_path / "early", tmp_path / "fixed"
    for replicate, acc_early, acc_fixed in (("r00", 0.70, 0.74), ("r01", 0.72, 0.74), ("r02", 0.71, 0.75)):
        _cell(early, replicate, acc_early, [4, 4, 2], 10.0)
        _cell(fixed, replicate, acc_fixed, [4, 4, 4, 4], 20.0)
    (early / "r03").mkdir()  # unfinished in one sweep: left out, not an error
    result = run_script_here("early_stop_replicates.py", str(early), str(fixed), capsys=capsys, monkeypatch=monkeypatch)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {line.split("|")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("| ")}
    assert "10 / 16" in rows["pair-steps taken"] and "+6.0000 [+6.0000, +6.0000] *" in rows["pair-steps taken"]
    assert "r03" not in result.stdout and "3 replicates" in result.stdout
    accuracy = rows["accuracy (mean of 3 seeds)"]
    assert "+0.0333" in accuracy and accuracy.rstrip(" |").endswith("*")  # +0.04, +0.02, +0.04: all above 0
    assert "+0.0000 [+0.0000, +0.0000]" in rows["near-duplicate rate, L2"]


def test_one_replicate_in_both_is_refused(tmp_path, capsys, monkeypatch):
    _cell(tmp_path / "early", "r00", 0.7, [1], 1.0)
    _cell(tmp_path / "fixed", "r00", 0.7, [1], 1.0)
    result = run_script_here("early_stop_replicates.py", str(tmp_path / "early"), str(tmp_path / "fixed"),
                             capsys=capsys, monkeypatch=monkeypatch)
    assert result.returncode != 0 and "needs at least 2" in result.stderr
