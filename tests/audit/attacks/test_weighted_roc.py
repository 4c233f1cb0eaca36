"""The vectorised bootstrap gives, per resample, the very floats of roc.point_figures on the
resample built out (each image repeated as often as its patient was drawn)."""
import numpy as np
import pytest

from lightning_privgan.audit.attacks.patient_bootstrap import patient_weights
from lightning_privgan.audit.attacks.roc import fpr_target, point_figures, roc_auc
from lightning_privgan.audit.attacks.weighted_roc import resampled_aucs, resampled_point_figures


def _scored(seed: int, ties: bool):
    rng = np.random.default_rng(seed)
    patients = np.repeat([f"p{i}" for i in range(30)], rng.integers(1, 5, 30))
    is_member = np.isin(patients, [f"p{i}" for i in range(0, 30, 2)])
    scores = rng.normal(size=len(patients)) + 0.4 * is_member
    if ties:  # distances quantised: many equal scores across and within sides
        scores = np.round(scores, 1)
    return scores, is_member, patients


@pytest.mark.parametrize("ties", [False, True])
def test_every_resample_equals_point_figures_on_the_built_out_set(ties):
    scores, is_member, patients = _scored(3, ties)
    weights = patient_weights(patients, is_member, resamples=60, seed=7)
    targets = (fpr_target(0.01, int((~is_member).sum())), fpr_target(0.2, int((~is_member).sum())))
    figures = resampled_point_figures(scores, is_member, weights, targets)
    aucs = resampled_aucs(scores, is_member, weights)
    for r, w in enumerate(weights):
        idx = np.repeat(np.arange(len(scores)), w)
        expected = point_figures(scores[idx], is_member[idx], targets)
        assert {k: v[r] for k, v in figures.items()} == expected  # the same floats, not close ones
        assert aucs[r] == roc_auc(scores[idx], is_member[idx])


def test_weights_draw_whole_patients_within_each_side():
    scores, is_member, patients = _scored(4, False)
    weights = patient_weights(patients, is_member, resamples=40, seed=1)
    for w in weights:
        for side in (is_member, ~is_member):
            per_patient = {p: set(w[side & (patients == p)]) for p in np.unique(patients[side])}
            assert all(len(v) == 1 for v in per_patient.values())  # a patient's images come together
            assert sum(v.pop() for v in per_patient.values()) == len(per_patient)  # as many draws as patients
    assert (weights == patient_weights(patients, is_member, resamples=40, seed=1)).all()
    assert not (weights == patient_weights(patients, is_member, resamples=40, seed=2)).all()


def test_blocks_of_rows_give_the_same_figures(monkeypatch):
    import lightning_privgan.audit.attacks.weighted_roc as weighted_roc
    scores, is_member, patients = _scored(5, True)
    weights = patient_weights(patients, is_member, resamples=50, seed=0)
    whole = resampled_aucs(scores, is_member, weights)
    monkeypatch.setattr(weighted_roc, "_BLOCK_CELLS", 7 * len(scores))  # 7 rows a block, the last one short
    assert (resampled_aucs(scores, is_member, weights) == whole).all()


def test_bad_weights_and_one_sided_sets_are_refused():
    scores, is_member, patients = _scored(6, False)
    with pytest.raises(ValueError, match="do not match"):
        resampled_aucs(scores, is_member, np.ones((3, len(scores) - 1), dtype=int))
    only_members = np.where(is_member, 1, 0)[None, :]
    with pytest.raises(ValueError, match="both members and non-members"):
        resampled_aucs(scores, is_member, only_members)
    with pytest.raises(ValueError, match="both members and non-members"):
        patient_weights(patients, np.ones(len(patients), bool), resamples=5, seed=0)
