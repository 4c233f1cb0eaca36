"""The full black-box attack must see a release that copies its members, and must not see one
drawn from non-members."""
import torch

from lightning_privgan.audit.attacks.closest_record import closest_record_scores
from lightning_privgan.audit.attacks.patient_bootstrap import bootstrap_figures, contains
from lightning_privgan.metrics.distances import distance_kind
from tests.helpers.attack_sets import phantom_candidates


def _attack(cand, synthetic, name="l2"):
    kind = distance_kind(name)
    scores = closest_record_scores(kind.features(cand.images), kind.features(synthetic), kind.pairwise)
    return bootstrap_figures(scores, cand.is_member, cand.patients, resamples=300, seed=0)


def test_copies_of_member_images_are_found():
    cand, _ = phantom_candidates()
    for name in ("l2", "ssim"):
        f = _attack(cand, cand.members.clone(), name)
        assert f["auc"]["value"] >= 0.95, name
        assert f["tpr@0.01"]["value"] >= 0.5, name
    # A release that copies half its members: that half is singled out at the lowest FPR.
    g = torch.Generator().manual_seed(0)
    half = cand.members[torch.randperm(len(cand.members), generator=g)[: len(cand.members) // 2]]
    f = _attack(cand, half)
    assert f["tpr@0.01"]["value"] >= 0.5 and f["auc"]["low"] > 0.5


def test_a_set_drawn_from_non_members_only_shows_no_member_leak():
    cand, _ = phantom_candidates()
    # Copies of half the tested non-members: whatever the set gives away points at non-members.
    f = _attack(cand, cand.nonmembers[::2])
    assert f["auc"]["value"] < 0.5 or contains(f["auc"])
