import numpy as np
import pytest

from lightning_privgan.audit.attacks.roc import (best_balanced_accuracy, fpr_target, point_figures, roc_auc,
                                                 roc_curve, tpr_at)


def test_a_known_ranking_gives_its_known_curve_auc_and_tpr():
    # members score 4 and 2, non-members 3 and 1: 3 of the 4 member/non-member pairs are ordered right.
    scores, members = [4, 3, 2, 1], [True, False, True, False]
    assert roc_auc(scores, members) == pytest.approx(0.75)
    fpr, tpr = roc_curve(scores, members)
    assert fpr.tolist() == [0, 0, 0.5, 0.5, 1] and tpr.tolist() == [0, 0.5, 0.5, 1, 1]
    assert tpr_at(fpr, tpr, 0.0) == 0.5 and tpr_at(fpr, tpr, 0.5) == 1.0
    assert best_balanced_accuracy(fpr, tpr) == pytest.approx(0.75)


def test_ties_count_one_half_and_collapse_to_one_point():
    assert roc_auc([1, 1, 1, 1], [True, False, True, False]) == pytest.approx(0.5)
    fpr, tpr = roc_curve([1, 1, 0], [True, False, False])
    assert fpr.tolist() == [0, 0.5, 1] and tpr.tolist() == [0, 1, 1]


def test_a_perfect_attack_reads_one_everywhere():
    figures = point_figures([5, 4, 3, 2, 1, 0], [1, 1, 1, 0, 0, 0], (fpr_target(0.01, 3),))
    assert figures == {"auc": 1.0, "balanced_accuracy": 1.0, "tpr@0.01": 1.0}


def test_an_fpr_the_non_members_cannot_resolve_is_replaced_and_stated():
    assert fpr_target(0.01, 100).resolved and fpr_target(0.01, 100).fpr == 0.01
    coarse = fpr_target(0.001, 200)
    assert not coarse.resolved and coarse.fpr == pytest.approx(0.005)


def test_bad_input_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="both members and non-members"):
        roc_auc([1, 2], [True, True])
    with pytest.raises(ValueError, match="finite"):
        roc_auc([1, np.nan], [True, False])
    with pytest.raises(ValueError, match="2 scores but 3"):
        roc_curve([1, 2], [True, False, True])
