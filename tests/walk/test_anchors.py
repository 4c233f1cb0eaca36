"""k-same groups, anchor construction and pair selection."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.walk.anchors import ksame_anchors, random_anchors
from lightning_privgan.walk.ksame import ksame_groups
from lightning_privgan.walk.pairs import select_pairs
from tests.helpers.fake_networks import fake_trio, single_thread  # noqa: F401

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.mark.parametrize("k,n", [(1, 7), (2, 9), (3, 23), (5, 17)])
def test_ksame_groups_are_k_anonymous_disjoint_class_pure_and_cover_everything(k, n):
    g = torch.Generator().manual_seed(k)
    latents = torch.randn(n, 6, generator=g)
    labels = torch.randint(0, 2, (n,), generator=g)
    labels[:k], labels[k:2 * k] = 0, 1  # both classes can form a group
    result = ksame_groups(latents, labels, k)
    members = torch.cat(result.groups)
    assert sorted(members.tolist()) == list(range(n))  # covers all, disjoint
    for group, label, anchor in zip(result.groups, result.labels, result.anchors):
        assert len(group) >= k
        assert (labels[group] == label).all()
        assert torch.allclose(anchor, latents[group].mean(0))
        if k >= 2:
            assert not any(torch.allclose(anchor, latents[i]) for i in range(n))


def test_ksame_groups_neighbours_together():
    # Two tight clusters far apart: k=3 must not mix them.
    latents = torch.cat([torch.randn(3, 2) * 0.01, torch.randn(3, 2) * 0.01 + 10])
    result = ksame_groups(latents, torch.zeros(6, dtype=torch.long), 3)
    assert sorted(sorted(g.tolist()) for g in result.groups) == [[0, 1, 2], [3, 4, 5]]


def test_ksame_rejects_a_class_smaller_than_k():
    with pytest.raises(ValueError, match="class 1 has 2 latents, fewer than k=3"):
        ksame_groups(torch.randn(7, 4), torch.tensor([0, 0, 0, 0, 0, 1, 1]), 3)


def test_ksame_anchors_list_manifest_rows():
    latents = torch.randn(8, 4)
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    rows = [100 + i for i in range(8)]
    anchors = ksame_anchors(lambda im, lab: latents, torch.zeros(8, 1, 4, 4), labels, rows, k=2)
    assert sorted(r for g in anchors.groups for r in g) == rows
    assert len(anchors.w) == len(anchors.groups) == 4 and anchors.member_w is latents


def test_random_anchors_have_classes_and_need_a_conditional_generator():
    G, _, _ = fake_trio()
    anchors = random_anchors(G, num_per_class=3, num_classes=2, seed=0)
    assert anchors.w.shape == (6, G.w_dim) and anchors.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert torch.equal(anchors.w, random_anchors(G, 3, 2, seed=0).w)
    with pytest.raises(ValueError, match="c_dim=2 but the data has 3 classes"):
        random_anchors(G, 3, 3, seed=0)


@pytest.mark.parametrize("pairing", ["random", "nearest"])
def test_pairs_are_same_class_and_respect_max_uses(pairing):
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 3, (30,), generator=g)
    w = torch.randn(30, 4, generator=g)
    pairs = select_pairs(labels, num_pairs=20, pairing=pairing, max_uses=2, seed=1, w=w)
    assert len(pairs) == 20
    assert (labels[pairs[:, 0]] == labels[pairs[:, 1]]).all() and (pairs[:, 0] != pairs[:, 1]).all()
    assert torch.bincount(pairs.flatten(), minlength=30).max() <= 2
    assert len({tuple(sorted(p)) for p in pairs.tolist()}) == 20


def test_nearest_pairing_takes_the_closest_pair_first():
    w = torch.tensor([[0.0], [10.0], [10.5], [30.0]])
    pairs = select_pairs(torch.zeros(4, dtype=torch.long), 1, pairing="nearest", max_uses=1, w=w)
    assert sorted(pairs[0].tolist()) == [1, 2]


def test_pairs_run_out_gracefully_and_fail_clearly():
    labels = torch.tensor([0, 0, 1, 1])
    assert len(select_pairs(labels, 10, pairing="random", max_uses=1)) == 2
    with pytest.raises(ValueError, match="no same-class pair"):
        select_pairs(torch.tensor([0, 1, 2]), 5, pairing="random", max_uses=4)


def test_stratified_subset_keeps_class_shares_and_rows():
    import numpy as np

    from lightning_privgan.data.real_store import SplitTensors
    from lightning_privgan.data.stratified_subset import stratified_subset

    labels = torch.tensor([0] * 80 + [1] * 20)
    split = SplitTensors(images=torch.randn(100, 1, 8, 8), labels=labels,
                         patient_ids=np.array([f"p{i}" for i in range(100)]), rows=np.arange(100) + 1000)
    sub = stratified_subset(split, 10, seed=0)
    assert len(sub) == 10 and int((sub.labels == 1).sum()) == 2
    assert np.array_equal(sub.rows - 1000, [int(p[1:]) for p in sub.patient_ids])
    assert torch.equal(sub.images, split.images[torch.as_tensor(sub.rows - 1000)])
    assert np.array_equal(stratified_subset(split, 10, seed=0).rows, sub.rows)
