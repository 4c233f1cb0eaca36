import numpy as np
import pytest

from lightning_privgan.audit.attacks.distance_ratio import member_share, nearest_is_member
from lightning_privgan.metrics.distances import distance_kind
from tests.helpers.attack_sets import phantom_candidates


def test_copies_of_members_are_nearest_to_members_and_outsiders_split_evenly():
    cand, splits = phantom_candidates()
    kind = distance_kind("l2")
    m, n = kind.features(cand.members), kind.features(cand.nonmembers)
    copies = member_share(nearest_is_member(kind.features(cand.members[:20]), m, n, kind.pairwise), 500, 0)
    assert copies["value"] == 1.0
    outsiders = member_share(nearest_is_member(kind.features(splits["val"].images), m, n, kind.pairwise), 500, 0)
    assert outsiders["low"] <= 0.5 <= outsiders["high"]


def test_unequal_real_sets_are_refused():
    kind = distance_kind("l2")
    with pytest.raises(ValueError, match="equal real sets"):
        nearest_is_member(np.zeros((1, 4)), np.zeros((2, 4)), np.zeros((3, 4)), kind.pairwise)
