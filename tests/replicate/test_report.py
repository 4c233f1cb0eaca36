"""The report across replicates on fabricated replicate folders with known values: means and
t-intervals over replicates, the hierarchical bootstrap, the verdict words, the variance split,
and a metric the single-run report gains appearing with no code."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from lightning_privgan.replicate.replicate_report import build_replicate_report
from lightning_privgan.replicate.statistics import hierarchical_bootstrap, t_interval, variance_split, verdict
from tests.helpers.replicate_fixtures import fabricate_release_attacks, fabricate_replicate, shifted_paths

SHIFTS = [-0.10, -0.12, -0.08]  # PLAN's closest distance below linear's in every replicate: PLAN worse


def _set(tmp_path, shifts=SHIFTS, extra_column: bool = False):
    rng = np.random.default_rng(0)
    folders = []
    for r, shift in enumerate(shifts):
        noise = np.array([-0.01, 0.0, 0.01, 0.0])  # mean 0: the replicate's mean difference is its shift
        linear, plan = shifted_paths(rng, shift, noise)
        table = [{"source": "linear", "acc_mean": 0.70 + 0.1 * r, "acc_std": 0.02, "runs": 3, "steps": 10,
                  "l2_near_duplicate_rate": 0.3},
                 {"source": "plan", "acc_mean": 0.60 + 0.1 * r, "acc_std": 0.02, "runs": 3, "steps": 10,
                  "l2_near_duplicate_rate": 0.2}]
        if extra_column:
            for row in table:
                row["brand_new_metric"] = 10.0 * (r + 1)
        accs = {"plan": [0.60 + 0.1 * r - 0.01, 0.60 + 0.1 * r, 0.60 + 0.1 * r + 0.01]}
        folders.append(fabricate_replicate(tmp_path / f"r{r:02d}", table, accs, linear, plan))
    return folders


def test_means_and_t_intervals_over_replicates(tmp_path):
    report = build_replicate_report(tmp_path, _set(tmp_path), resamples=2000)
    metrics = pd.read_csv(tmp_path / "report" / "metrics.csv")
    plan_acc = metrics[(metrics["source"] == "plan") & (metrics["metric"] == "acc_mean")].iloc[0]
    half = stats.t.ppf(0.975, 2) * 0.1 / math.sqrt(3)  # values 0.6, 0.7, 0.8: sd 0.1
    assert plan_acc["mean"] == pytest.approx(0.7) and plan_acc["replicates"] == 3
    assert (plan_acc["low"], plan_acc["high"]) == (pytest.approx(0.7 - half), pytest.approx(0.7 + half))
    assert set(metrics["metric"]) == {"acc_mean", "acc_std", "l2_near_duplicate_rate",
                                      "closest_at_anchor_share"}  # budget columns are not metrics
    dup = metrics[(metrics["source"] == "linear") & (metrics["metric"] == "l2_near_duplicate_rate")].iloc[0]
    assert (dup["low"], dup["mean"], dup["high"]) == (pytest.approx(0.3),) * 3  # no spread, no width
    text = report.read_text()
    assert "3 finished whole-pipeline replicates" in text and "0.7000 [" in text


def test_pooled_paired_difference_and_verdict(tmp_path):
    build_replicate_report(tmp_path, _set(tmp_path), resamples=4000)
    paired = pd.read_csv(tmp_path / "report" / "paired.csv")
    pooled = paired[paired["level"] == "pooled"].set_index("figure")
    assert pooled.loc["closest_distance", "mean"] == pytest.approx(np.mean(SHIFTS))
    assert pooled.loc["closest_distance", "low"] < -0.1 < pooled.loc["closest_distance", "high"] < 0
    assert pooled.loc["closest_distance", "verdict"] == "PLAN is worse across 3 replicates"
    # Every point stays above the threshold for both methods: no difference in the share.
    assert pooled.loc["near_duplicate_share", "verdict"] == "no significant difference across 3 replicates"
    assert pooled.loc["near_duplicate_share", ["low", "mean", "high"]].tolist() == [0, 0, 0]
    per = paired[(paired["level"] == "replicate") & (paired["figure"] == "closest_distance")]
    assert list(per["replicate"]) == ["r00", "r01", "r02"] and per["mean"].tolist() == pytest.approx(SHIFTS)
    assert (tmp_path / "report" / "forest.png").stat().st_size > 5_000
    assert "PLAN is worse across 3 replicates" in (tmp_path / "report.md").read_text()


def test_a_sign_change_across_replicates_is_no_significant_difference(tmp_path):
    build_replicate_report(tmp_path, _set(tmp_path, shifts=[-0.1, 0.1, -0.05, 0.08]), resamples=2000)
    pooled = pd.read_csv(tmp_path / "report" / "paired.csv").query("level == 'pooled'").set_index("figure")
    assert pooled.loc["closest_distance", "verdict"] == "no significant difference across 4 replicates"


def test_verdict_words():
    from lightning_privgan.replicate.statistics import Interval

    assert verdict(Interval(-0.2, -0.3, -0.1, 5), "lower", 5) == "PLAN is better across 5 replicates"
    assert verdict(Interval(-0.2, -0.3, -0.1, 5), "higher", 5) == "PLAN is worse across 5 replicates"
    assert verdict(Interval(0.2, 0.1, 0.3, 5), "higher", 5) == "PLAN is better across 5 replicates"
    assert verdict(Interval(0.0, -0.1, 0.1, 5), "lower", 5) == "no significant difference across 5 replicates"
    assert "at least 2" in verdict(t_interval([0.3]), "lower", 1)


def test_hierarchical_bootstrap_has_the_two_level_variance():
    # Var(pooled*) = [var_J(mean_J) + mean_J(σ²_J / P)] / R  (population variances, each slot independent)
    rng = np.random.default_rng(1)
    groups = [m + rng.normal(0, 0.5, 30) for m in rng.normal(0, 1.0, 10)]
    means = np.array([g.mean() for g in groups])
    expected_sd = math.sqrt((means.var() + np.mean([g.var() / len(g) for g in groups])) / len(groups))
    iv = hierarchical_bootstrap(groups, resamples=20_000, seed=0)
    assert iv.mean == pytest.approx(means.mean())
    assert (iv.high - iv.low) / (2 * 1.96) == pytest.approx(expected_sd, rel=0.08)
    # No spread anywhere: the interval is the point.
    flat = hierarchical_bootstrap([np.full(5, 0.3)] * 4, resamples=500)
    assert (flat.low, flat.mean, flat.high) == (pytest.approx(0.3),) * 3
    # Equal replicates: only the pairs vary, and the slots are independent pair resamples.
    same = [np.array([0.0, 1.0])] * 50
    sd = (lambda iv: (iv.high - iv.low) / (2 * 1.96))(hierarchical_bootstrap(same, resamples=20_000))
    assert sd == pytest.approx(math.sqrt(0.25 / 2 / 50), rel=0.08)


def test_variance_split_separates_upstream_from_seeds(tmp_path):
    split = variance_split([[0.59, 0.60, 0.61], [0.69, 0.70, 0.71], [0.79, 0.80, 0.81]])
    assert split.between == pytest.approx(0.01) and split.within == pytest.approx(1e-4) and split.seeds == 3
    assert split.upstream == pytest.approx(0.01 - 1e-4 / 3)
    assert split.upstream_share == pytest.approx(split.upstream / (split.upstream + 1e-4))
    assert variance_split([[0.5, 0.6], [0.5, 0.6]]).upstream == 0  # the means agree: all from the seeds
    assert variance_split([[0.5, 0.6]]) is None
    build_replicate_report(tmp_path, _set(tmp_path), resamples=500)
    var = pd.read_csv(tmp_path / "report" / "variance.csv")
    assert list(var["metric"]) == ["acc"] and var.iloc[0]["between"] == pytest.approx(0.01)  # 'steps' is equal everywhere


def test_a_new_metric_of_the_single_run_report_appears_without_code(tmp_path):
    build_replicate_report(tmp_path, _set(tmp_path, extra_column=True), resamples=500)
    metrics = pd.read_csv(tmp_path / "report" / "metrics.csv")
    new = metrics[metrics["metric"] == "brand_new_metric"]
    assert len(new) == 2 and new["mean"].tolist() == pytest.approx([20.0, 20.0])
    assert "| brand_new_metric |" in (tmp_path / "report.md").read_text()


def test_a_path_file_that_disagrees_with_the_audit_is_refused(tmp_path):
    folders = _set(tmp_path)
    csv = folders[1] / "privacy_audit" / "path_distances.csv"
    table = pd.read_csv(csv)
    table.loc[table["method"] == "plan", "distance"] += 1.0
    table.to_csv(csv, index=False)
    with pytest.raises(ValueError, match="different audits"):
        build_replicate_report(tmp_path, folders, resamples=500)


def test_no_finished_replicate_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no finished replicate"):
        build_replicate_report(tmp_path, [])


def test_release_attacks_across_replicates_and_plan_minus_linear(tmp_path):
    folders = _set(tmp_path)
    linear_auc, plan_auc = [0.70, 0.66, 0.68], [0.60, 0.58, 0.62]  # PLAN 0.08, 0.08, 0.06 lower: safer
    for folder, lin, plan in zip(folders, linear_auc, plan_auc):
        fabricate_release_attacks(folder, {"linear": lin, "plan": plan, "ksame": 0.9})
    report = build_replicate_report(tmp_path, folders, resamples=500).read_text()
    means = pd.read_csv(tmp_path / "report" / "attacks.csv", keep_default_na=False)
    auc = means[(means["figure"] == "auc") & (means["attack"] == "closest_record") & (means["control"] == "attack")]
    plan = auc[auc["source"] == "plan"].iloc[0]
    half = stats.t.ppf(0.975, 2) * np.std(plan_auc, ddof=1) / math.sqrt(3)
    assert plan["mean"] == pytest.approx(0.6) and plan["high"] == pytest.approx(0.6 + half)
    assert auc[auc["source"] == "ksame"].iloc[0]["low"] == pytest.approx(0.9)  # equal everywhere: no width
    null = means[means["source"] == "outsiders"]
    assert set(null["control"]) == {"null_control"} and (null[null["figure"] == "auc"]["mean"] == 0.5).all()
    assert not means["figure"].isin(["members", "nonmembers", "auc_low", "fpr_for_tpr@0.01"]).any()
    paired = pd.read_csv(tmp_path / "report" / "attacks_paired.csv", keep_default_na=False).set_index(["attack", "figure"])
    auc_diff = paired.loc[("closest_record", "auc")]
    assert auc_diff["mean"] == pytest.approx(np.mean(np.subtract(plan_auc, linear_auc)))
    assert auc_diff["high"] < 0 and auc_diff["verdict"] == "PLAN is safer across 3 replicates"
    share = paired.loc[("distance_ratio", "member_share")]  # 0.5 in every replicate for both sources
    assert share["mean"] == 0 and share["verdict"] == "no significant difference across 3 replicates"
    assert "## Release-level membership attacks, over 3 replicates" in report
    assert "| closest record (l2) |" in report and "PLAN is safer across 3 replicates" in report


def test_replicates_without_release_attacks_say_so(tmp_path):
    report = build_replicate_report(tmp_path, _set(tmp_path), resamples=500).read_text()
    assert "No release-level attacks in these replicates" in report
    assert pd.read_csv(tmp_path / "report" / "attacks.csv").empty


def test_every_metric_as_plan_minus_linear_over_replicates(tmp_path):
    build_replicate_report(tmp_path, _set(tmp_path), resamples=500)
    paired = pd.read_csv(tmp_path / "report" / "metrics_paired.csv").set_index("metric")
    # acc: PLAN 0.1 below linear in every replicate; the near-duplicate rate 0.1 lower, no spread.
    assert paired.loc["acc_mean", "mean"] == pytest.approx(-0.1)
    assert paired.loc["acc_mean", "difference"] == "PLAN lower across 3 replicates"
    assert paired.loc["l2_near_duplicate_rate", ["low", "high"]].tolist() == [pytest.approx(-0.1)] * 2
    assert "acc_std" not in paired.index


def test_a_sweep_cell_takes_the_sources_it_did_not_train_from_its_replicate(tmp_path):
    bases = _set(tmp_path / "set")
    cells = []
    for r, base in enumerate(bases):
        cell = tmp_path / "sweep" / base.name / "cell"
        table = pd.read_csv(base / "report" / "table.csv")
        plan_only = table[table["source"] == "plan"].assign(acc_mean=0.9)
        rng = np.random.default_rng(r)
        linear, plan = shifted_paths(rng, 0.05, np.zeros(4))
        cells.append(fabricate_replicate(cell, plan_only.to_dict("records"), {"plan": [0.9, 0.9]}, linear, plan))
        fabricate_release_attacks(base, {"linear": 0.7, "plan": 0.65})
        fabricate_release_attacks(cell, {"plan": 0.55})
    report = build_replicate_report(tmp_path / "out", cells, labels=[b.name for b in bases], baselines=bases,
                                    resamples=500).read_text()
    metrics = pd.read_csv(tmp_path / "out" / "report" / "metrics.csv")
    acc = metrics[metrics["metric"] == "acc_mean"].set_index("source")["mean"]
    assert acc["plan"] == pytest.approx(0.9) and acc["linear"] == pytest.approx(0.8)  # the cell's PLAN, the run's linear
    paired = pd.read_csv(tmp_path / "out" / "report" / "attacks_paired.csv").set_index(["attack", "figure"])
    assert paired.loc[("closest_record", "auc"), "mean"] == pytest.approx(0.55 - 0.7)
    assert "each replicate's own finished run's" in report
    assert "| attack | Linear | PLAN | null control |" in report  # the cell wrote PLAN first
    with pytest.raises(ValueError, match="one baseline run per folder"):
        build_replicate_report(tmp_path / "out", cells, labels=[b.name for b in bases], baselines=bases[:1])


def test_interval_bounds_and_qualifiers_are_not_figures_of_their_own(tmp_path):
    folders = _set(tmp_path)
    for r, folder in enumerate(folders):
        table = pd.read_csv(folder / "report" / "table.csv")
        table["attack_auc"], table["attack_auc_low"], table["attack_tpr_fpr"] = 0.6 + 0.01 * r, 0.5, 0.0139
        table["attack_tpr_low_fpr"] = 0.1
        table.to_csv(folder / "report" / "table.csv", index=False)
    text = build_replicate_report(tmp_path, folders, resamples=500).read_text()
    assert "| attack_auc |" in text and "| attack_tpr_low_fpr |" in text and "attack_auc_low" not in text and "attack_tpr_fpr" not in text
    paired = pd.read_csv(tmp_path / "report" / "metrics_paired.csv")
    assert "attack_auc" in set(paired["metric"]) and not paired["metric"].isin(["attack_auc_low", "attack_tpr_fpr"]).any()
    assert "attack_auc_low" in set(pd.read_csv(tmp_path / "report" / "metrics.csv")["metric"])  # kept in the CSV


def test_an_attack_below_its_null_control_is_not_called_safer(tmp_path):
    folders = _set(tmp_path)
    for folder in folders:  # both sources under the null control's 0.5: lower is not less leakage
        fabricate_release_attacks(folder, {"linear": 0.45, "plan": 0.30 + 0.01 * int(folder.name[1:])})
    build_replicate_report(tmp_path, folders, resamples=500)
    paired = pd.read_csv(tmp_path / "report" / "attacks_paired.csv").set_index(["attack", "figure"])
    row = paired.loc[("closest_record", "auc")]
    assert bool(row["plan_below_null"]) and row["verdict"].startswith("no leak in either")
    assert "safer across" not in row["verdict"]


def test_plan_brought_to_its_null_control_is_safer_with_a_caveat(tmp_path):
    folders = _set(tmp_path)
    for folder in folders:  # linear above the null control's 0.5, PLAN just under it
        fabricate_release_attacks(folder, {"linear": 0.70, "plan": 0.46 + 0.01 * int(folder.name[1:])})
    build_replicate_report(tmp_path, folders, resamples=500)
    row = pd.read_csv(tmp_path / "report" / "attacks_paired.csv").set_index(["attack", "figure"]).loc[
        ("closest_record", "auc")]
    assert row["verdict"].startswith("PLAN is safer across 3 replicates") and "reaches its null control" in row["verdict"]


def test_the_share_of_paths_closest_at_an_anchor(tmp_path):
    from lightning_privgan.replicate.collect import closest_at_anchor

    d = torch.tensor([[0.1, 0.5, 0.6], [0.5, 0.2, 0.6], [0.5, 0.6, 0.3], [0.4, 0.1, 0.2]])
    share = closest_at_anchor({"plan": d}).set_index("source")["value"]
    assert share["plan"] == pytest.approx(0.5)  # pairs 0 and 2 are closest at an endpoint
    build_replicate_report(tmp_path, _set(tmp_path), resamples=500)
    metrics = pd.read_csv(tmp_path / "report" / "metrics.csv")
    assert set(metrics[metrics["metric"] == "closest_at_anchor_share"]["source"]) == {"linear", "plan"}
