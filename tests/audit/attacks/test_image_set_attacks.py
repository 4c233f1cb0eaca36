"""All image-set attacks together: a leaky source and a private one, a clean distance and one whose
features carry membership themselves."""
import torch

from lightning_privgan.audit.attacks.attack_table import attack_rows
from lightning_privgan.audit.attacks.image_set_attacks import image_set_attacks
from lightning_privgan.metrics.distances import DistanceKind, distance_kind
from tests.helpers.attack_sets import phantom_candidates


def _membership_feature(members: torch.Tensor) -> DistanceKind:
    """A 'distance' that knows who the members are: 0 for a member image, 1 for anything else."""
    def features(x):
        return (torch.cdist(x.flatten(1).float(), members.flatten(1).float()).min(1).values > 1e-6).float()[:, None]
    return DistanceKind("leaky", features, lambda a, b: (a - b.T).abs())


def test_a_copying_source_is_caught_a_private_one_is_not_and_a_leaky_feature_is_flagged():
    cand, splits = phantom_candidates()
    sources = {"linear": cand.members.clone(), "plan": splits["val"].images[::2]}
    kinds = {"l2": distance_kind("l2"), "leaky": _membership_feature(cand.members)}
    out = image_set_attacks(sources, cand, kinds, resamples=200, seed=0)

    assert out["null_controls"]["l2"]["usable"] is True
    assert out["null_controls"]["leaky"]["usable"] is False  # never used for a verdict
    linear, plan = out["sources"]["linear"], out["sources"]["plan"]
    assert linear["best"]["distance"] == "l2" and linear["best"]["auc"]["value"] >= 0.95
    assert linear["distance_ratio"]["l2"]["value"] == 1.0
    assert plan["closest_record"]["l2"]["auc"]["value"] < 0.75
    for source in (linear, plan):  # two holdout halves read no signal
        split = source["closest_record"]["l2"]["split_bias"]["auc"]
        assert split["low"] <= 0.5 <= split["high"]
    assert out["paired"]["l2"]["high"] < 0 and "PLAN is better" in out["paired"]["l2"]["verdict"]

    table = attack_rows(out, None)
    assert set(table.control) == {"attack", "split_bias", "null_control"}
    assert set(table.source) == {"linear", "plan", "outsiders"}
    row = table[(table.source == "linear") & (table.attack == "closest_record") & (table.distance == "l2")
                & (table.control == "attack")].iloc[0]
    assert row.auc >= 0.95 and row["tpr@0.01"] >= 0.5 and row.auc_low <= row.auc <= row.auc_high


def test_without_outsiders_the_null_control_is_stated_missing():
    cand, _ = phantom_candidates()
    cand.outsiders = None
    out = image_set_attacks({"plan": cand.members[:10]}, cand, {"l2": distance_kind("l2")}, resamples=100, seed=0)
    assert out["null_controls"]["l2"]["usable"] is None and "no val/test" in out["null_controls"]["l2"]["reason"]
    assert out["sources"]["plan"]["best"]["null_control_verified"] is False
