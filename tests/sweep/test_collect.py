"""Collecting a sweep: a cell's downstream and audit outputs (fabricated here) become a
row of sweep.csv with its intervals, and sweep.md and the figure are written."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lightning_privgan.sweep.collect import baseline_rows, cell_row, sweep_table
from lightning_privgan.sweep.grid import SweepCell
from lightning_privgan.sweep.intervals import bootstrap_means, t_interval
from lightning_privgan.sweep.sweep_report import write_sweep_outputs
from tests.helpers.sweep_cells import fabricate_downstream, fabricate_audit, fabricate_walk
from tests.helpers.sweep_cells import PAIRED, PLAN_D, THRESHOLD, fabricate_outputs


def test_a_cell_row_holds_utility_privacy_and_paired_differences(tmp_path):
    fabricate_outputs(tmp_path, {"plan": [0.7, 0.8, 0.9], "real": [0.5]}, {"plan": PLAN_D})
    row = cell_row(tmp_path, SweepCell(0.3, 100))
    assert (row["cell"], row["source"], row["lambda_priv"], row["optim_steps"]) == ("lambda0.3_steps100", "plan", 0.3, 100)
    half = stats.t.ppf(0.975, 2) * 0.1 / math.sqrt(3)  # t interval over the 3 seeds
    assert row["acc_mean"] == pytest.approx(0.8) and row["seeds"] == 3
    assert (row["acc_low"], row["acc_high"]) == (pytest.approx(0.8 - half), 1.0)  # 0.8 + half clipped to 1
    assert row["near_dup_rate"] == pytest.approx(2 / 8)  # 0.1 and 0.2 lie under the threshold 0.25
    assert row["closest_distance"] == pytest.approx(0.45)
    assert row["near_dup_low"] < 0.25 < row["near_dup_high"] and 0 <= row["near_dup_low"]
    assert row["closest_low"] < 0.45 < row["closest_high"]
    assert row["samples"] == 8 and row["distance"] == "l2"
    assert (row["paired_closest_mean"], row["paired_closest_low"], row["paired_closest_high"]) == (0.012, 0.004, 0.02)
    assert (row["paired_near_dup_mean"], row["pairs"]) == (-0.1, 6)
    assert (row["paired_inner_closest_mean"], row["paired_inner_closest_high"]) == (0.03, 0.05)
    assert (row["endpoint_closest_linear"], row["endpoint_closest_plan"]) == (0.5, 0.25)
    # chunk means weighted by their pairs: (6·4 + 2·8) / 8 = 5 at the first step, (6·3 + 2·7) / 8 = 4 at the last
    assert (row["priv_start"], row["priv_end"]) == (pytest.approx(5.0), pytest.approx(4.0))
    assert (row["cls_start"], row["cls_end"]) == (pytest.approx(10.0), pytest.approx(8.0))


def test_baseline_rows_are_the_finished_runs_linear_and_real(tmp_path):
    fabricate_outputs(tmp_path, {"linear": [0.6, 0.7], "real": [0.9, 0.95, 1.0], "plan": [0.8]},
                      {"linear": [0.1, 0.1, 0.5, 0.5]})
    rows = {r["source"]: r for r in baseline_rows(tmp_path)}
    assert set(rows) == {"linear", "real"}
    assert rows["linear"]["acc_mean"] == pytest.approx(0.65) and rows["linear"]["near_dup_rate"] == 0.5
    assert rows["real"]["acc_mean"] == pytest.approx(0.95) and "near_dup_rate" not in rows["real"]


def test_the_release_level_attack_is_a_privacy_axis(tmp_path):
    fabricate_downstream(tmp_path / "cell", {"plan": [0.7, 0.8]})
    fabricate_audit(tmp_path / "cell", {"plan": PLAN_D}, attack_auc={"plan": (0.62, 0.55, 0.7)})
    fabricate_walk(tmp_path / "cell")
    row = cell_row(tmp_path / "cell", SweepCell(1.0, 100))
    assert (row["attack_auc"], row["attack_low"], row["attack_high"], row["attack_distance"]) == (0.62, 0.55, 0.7, "l2")
    fabricate_outputs(tmp_path / "old", {"plan": [0.7]}, {"plan": PLAN_D})  # an audit without the attacks
    assert math.isnan(cell_row(tmp_path / "old", SweepCell(1.0, 100))["attack_auc"])
    md = write_sweep_outputs(sweep_table([row]), tmp_path / "sweep", tmp_path / "old", missing=[])
    assert "| 0.620 [0.550, 0.700] |" in md.read_text() and "release MIA AUC" in md.read_text()


def test_an_audit_that_disagrees_with_its_samples_is_refused(tmp_path):
    fabricate_outputs(tmp_path, {"plan": [0.7, 0.8]}, {"plan": PLAN_D}, reported_rate={"plan": 0.5})
    with pytest.raises(ValueError, match="disagrees with audit.json"):
        cell_row(tmp_path, SweepCell(0.1, 100))


def test_a_cell_without_downstream_results_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="run the 'downstream' stage"):
        cell_row(tmp_path, SweepCell(0.1, 100))


def test_one_seed_has_no_t_interval_and_the_bootstrap_resamples_rows_jointly():
    one = t_interval([0.7])
    assert one.mean == 0.7 and math.isnan(one.low) and math.isnan(one.high)
    wide = t_interval([0.2, 1.0, 1.0])  # unclipped: 0.733 ± 0.994
    assert (wide.low, wide.high) == (0.0, 1.0)
    ci = bootstrap_means({"a": np.array([0.0, 1.0] * 50), "b": np.array([1.0, 0.0] * 50)}, resamples=500)
    # jointly resampled: a + b is 1 in every row, so the two intervals mirror each other exactly
    assert ci["a"].low == pytest.approx(1 - ci["b"].high) and ci["a"].high == pytest.approx(1 - ci["b"].low)
    with pytest.raises(ValueError, match="one non-zero length"):
        bootstrap_means({"a": np.ones(3), "b": np.ones(4)})


def test_sweep_outputs_from_fabricated_cells(tmp_path):
    rows = []
    for lam, accs, d in ((0.0, [0.6, 0.7, 0.8], PLAN_D), (1.0, [0.5, 0.55, 0.6], [x + 0.2 for x in PLAN_D])):
        cell = SweepCell(lam, 100)
        fabricate_outputs(tmp_path / cell.name, {"plan": accs}, {"plan": d})
        rows.append(cell_row(tmp_path / cell.name, cell))
    fabricate_outputs(tmp_path / "base", {"linear": [0.6, 0.62, 0.64], "real": [0.9, 0.9, 0.9]}, {"linear": PLAN_D})
    table = sweep_table(rows + baseline_rows(tmp_path / "base"))
    md = write_sweep_outputs(table, tmp_path / "sweep", tmp_path / "base", missing=["lambda3_steps100"])
    csv = pd.read_csv(tmp_path / "sweep" / "sweep.csv")
    assert list(csv["source"]) == ["plan", "plan", "linear", "real"]
    assert csv.loc[1, "near_dup_rate"] == pytest.approx(0.0) and csv.loc[1, "closest_distance"] == pytest.approx(0.65)
    assert (tmp_path / "sweep" / "sweep.png").stat().st_size > 10_000
    assert (tmp_path / "sweep" / "sweep_why.png").stat().st_size > 10_000
    text = md.read_text()
    assert "| 0 | 100 | 0.700 [" in text and "| 1 | 100 | 0.550 [" in text
    assert "+0.0120 [+0.0040, +0.0200] *" in text  # the CI excludes 0: marked
    assert "-0.1000 [-0.3000, +0.0500] |" in text  # straddles 0: not marked
    assert "linear (finished run)" in text and "lambda3_steps100" in text
    assert "| 1 | 100 | +0.0300 [+0.0100, +0.0500] * | 50% / 25% | 5.000 → 4.000 | 10.000 → 8.000 |" in text
    # a later grid none of whose cells has finished: no figure, rather than the old one
    write_sweep_outputs(sweep_table(baseline_rows(tmp_path / "base")), tmp_path / "sweep", tmp_path / "base", ["c"])
    assert not (tmp_path / "sweep" / "sweep.png").exists() and not (tmp_path / "sweep" / "sweep_why.png").exists()
    assert "No cell has finished yet" in (tmp_path / "sweep" / "sweep.md").read_text()


def test_the_runs_report_links_its_sweep_once_one_is_written(tmp_path):
    from lightning_privgan.stages.report import build_report
    from tests.helpers.report_inputs import fabricate_report_inputs

    run_dir = tmp_path / "fab"
    fabricate_report_inputs(run_dir)
    assert "sweep" not in build_report(run_dir).read_text()
    (tmp_path / "fab-sweep").mkdir()
    (tmp_path / "fab-sweep" / "sweep.md").write_text("# sweep")
    text = build_report(run_dir).read_text()
    assert "[../fab-sweep/sweep.md](../fab-sweep/sweep.md)" in text and "![sweep](../fab-sweep/sweep.png)" in text
