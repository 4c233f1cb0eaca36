"""The report's attack section and table columns, from a real release_attacks.json shape."""
import pandas as pd

from lightning_privgan.audit.attacks.attack_report import release_attack_lines
from lightning_privgan.audit.attacks.generator_attacks import generator_attacks
from lightning_privgan.audit.attacks.image_set_attacks import image_set_attacks
from lightning_privgan.audit.report_table import markdown_table, report_table
from lightning_privgan.config.sections.gan import ProjectionConfig
from lightning_privgan.metrics.distances import distance_kind
from lightning_privgan.stages.release_attacks import attack_summary
from tests.helpers.attack_sets import phantom_candidates
from tests.helpers.fake_networks import FakeGenerator


def _result():
    cand, splits = phantom_candidates()
    sets = image_set_attacks({"linear": cand.members.clone(), "plan": splits["val"].images[::2]}, cand,
                             {"l2": distance_kind("l2")}, resamples=100, seed=0)
    small, _ = phantom_candidates(cap=4)
    gen = generator_attacks(FakeGenerator(c_dim=0), None, small, ProjectionConfig(steps=5), 100, 0,
                            discriminator_note="no checkpoint")
    return {"image_sets": sets, "generator": gen, "figures": ["roc_closest_record_l2.png"], "seconds": 1.0}


def test_the_section_states_every_attack_control_and_verdict():
    text = "\n".join(release_attack_lines(_result(), "privacy_audit"))
    assert "| linear | l2 | 1.000 [1.000, 1.000] |" in text
    assert "| l2 |" in text and "| yes |" in text  # the null control passes for a pixel distance
    assert "PLAN is better" in text
    assert "discriminator score (LOGAN): not run (no checkpoint)" in text
    # 48 non-members resolve neither 1 % nor 0.1 % FPR: one TPR column, at the smallest FPR they
    # resolve, not the same figure twice under two headings.
    assert "% FPR (1% and 0.1% unresolved)" in text and "TPR @ 0.1% FPR" not in text
    assert "![roc_closest_record_l2.png](privacy_audit/roc_closest_record_l2.png)" in text
    assert release_attack_lines({"skipped": "no holdout"}, "x")[-2] == "Not run: no holdout."


def test_the_privacy_table_gains_the_best_release_attack_beside_the_classifier_mia():
    audit = {"sources": {}, "release_attacks": attack_summary(_result())}
    table = report_table(pd.DataFrame({"source": ["linear"], "acc_mean": [0.8]}), audit)
    row = table.set_index("source").loc["linear"]
    assert row.attack_auc == 1.0 and row.attack_distance == "l2" and row.attack_tpr_fpr > 0.001
    text = markdown_table(table)
    assert "Release MIA AUC [95% CI]" in text and "1.000 [1.000, 1.000] (l2)" in text


def test_fpr_targets_falling_on_one_fpr_give_one_figure():
    from lightning_privgan.audit.attacks.attack_report import distinct_fpr_targets, fpr_heading

    resolved = [{"requested": 0.01, "fpr": 0.01, "resolved": True}, {"requested": 0.001, "fpr": 0.001, "resolved": True}]
    assert [fpr_heading(t, r) for t, r in distinct_fpr_targets(resolved)] == ["TPR @ 1% FPR", "TPR @ 0.1% FPR"]
    half = [{"requested": 0.01, "fpr": 0.01, "resolved": True}, {"requested": 0.001, "fpr": 0.01, "resolved": False}]
    assert len(distinct_fpr_targets(half)) == 1  # the 0.1 % target falls on the 1 % figure
    neither = [{"requested": 0.01, "fpr": 0.03125, "resolved": False}, {"requested": 0.001, "fpr": 0.03125, "resolved": False}]
    [(target, requested)] = distinct_fpr_targets(neither)
    assert requested == [0.01, 0.001] and fpr_heading(target, requested) == "TPR @ 3.1% FPR (1% and 0.1% unresolved)"
