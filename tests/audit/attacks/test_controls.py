import numpy as np
import pytest

from lightning_privgan.audit.attacks.closest_record import closest_record_scores
from lightning_privgan.audit.attacks.controls import null_control_set, null_verdict, split_bias_figures, split_halves
from lightning_privgan.audit.attacks.patient_bootstrap import bootstrap_figures, contains
from lightning_privgan.metrics.distances import distance_kind
from tests.helpers.attack_sets import phantom_candidates


def test_the_null_control_of_a_pixel_distance_sits_at_one_half():
    cand, _ = phantom_candidates()
    kind = distance_kind("l2")
    stand_in = null_control_set(cand.outsiders, 24, seed=0)
    scores = closest_record_scores(kind.features(cand.images), kind.features(stand_in), kind.pairwise)
    f = bootstrap_figures(scores, cand.is_member, cand.patients, resamples=500, seed=0)
    assert contains(f["auc"]) and null_verdict(f)["usable"]


def test_a_feature_that_carries_membership_itself_is_flagged():
    """A 'distance' that is small for members whatever the release (as an embedding trained on the
    train split can be) fails the null control."""
    cand, _ = phantom_candidates()
    scores = cand.is_member + np.random.default_rng(0).normal(scale=0.3, size=len(cand.is_member))
    f = bootstrap_figures(scores, cand.is_member, cand.patients, resamples=300, seed=0)
    assert not null_verdict(f)["usable"]


def test_split_bias_halves_are_by_patient_and_read_no_signal():
    cand, _ = phantom_candidates()
    half = split_halves(cand.nonmember_patients, seed=3)
    assert not set(cand.nonmember_patients[half]) & set(cand.nonmember_patients[~half])
    scores = np.random.default_rng(0).normal(size=len(cand.nonmembers))
    f = split_bias_figures(scores, cand.nonmember_patients, resamples=300, seed=0)
    assert f["members"] == f["nonmembers"] and contains(f["auc"])
    with pytest.raises(ValueError, match="two holdout patients"):
        split_halves(["a", "a"], seed=0)
