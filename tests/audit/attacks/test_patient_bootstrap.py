import numpy as np
import pytest

from lightning_privgan.audit.attacks.patient_bootstrap import (balance_by_patient, bootstrap_figures, contains,
                                                               paired_auc_difference)


def test_balanced_sets_have_equal_sizes_and_patient_counts():
    members = np.repeat([f"m{i}" for i in range(10)], 3)  # 10 patients, 30 images
    nonmembers = np.repeat([f"n{i}" for i in range(4)], 5)  # 4 patients, 20 images
    mi, ni = balance_by_patient(members, nonmembers, seed=0)
    assert len(mi) == len(ni) == 12  # 4 patients each side; 12 of their member images
    assert len(set(members[mi])) == len(set(nonmembers[ni])) == 4
    mi, ni = balance_by_patient(members, nonmembers, seed=0, cap=4)
    assert len(mi) == len(ni) == 4 and len(set(members[mi])) == 4  # a small sample spreads over patients


def test_a_patient_on_both_sides_is_refused():
    with pytest.raises(ValueError, match="both a member and a non-member"):
        balance_by_patient(["a", "b"], ["b", "c"], seed=0)


def test_intervals_bracket_the_value_and_shrink_to_it_for_a_perfect_attack():
    rng = np.random.default_rng(0)
    patients = np.repeat(np.arange(40), 3).astype(str)
    is_member = np.repeat(np.arange(40) < 20, 3)
    noisy = rng.normal(size=120) + 0.5 * is_member
    f = bootstrap_figures(noisy, is_member, patients, resamples=300, seed=0)
    assert f["auc"]["low"] < f["auc"]["value"] < f["auc"]["high"]
    assert f["member_patients"] == f["nonmember_patients"] == 20 and f["resamples"] == 300
    assert [t["resolved"] for t in f["fpr_targets"]] == [False, False]  # 60 non-members resolve 1/60 at best
    perfect = bootstrap_figures(is_member.astype(float), is_member, patients, resamples=200, seed=0)
    assert perfect["auc"] == {"value": 1.0, "low": 1.0, "high": 1.0}
    assert not contains(perfect["auc"])


def test_the_paired_difference_sees_a_better_source_and_not_an_equal_one():
    rng = np.random.default_rng(1)
    patients = np.repeat(np.arange(60), 2).astype(str)
    is_member = np.repeat(np.arange(60) < 30, 2)
    leaky = rng.normal(size=120) + 2.0 * is_member
    private = rng.normal(size=120)
    d = paired_auc_difference(leaky, private, is_member, patients, resamples=300, seed=0)
    assert d["difference"] < 0 and d["high"] < 0
    same = paired_auc_difference(leaky, leaky, is_member, patients, resamples=200, seed=0)
    assert same["difference"] == same["low"] == same["high"] == 0.0
