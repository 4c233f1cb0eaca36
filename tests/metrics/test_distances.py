"""Nearest-real distances, SSIM and the near-duplicate threshold on cases with known answers."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from lightning_privgan.metrics.distances import distance_kind, nearest_real, nearest_real_distance
from lightning_privgan.metrics.ssim import pairwise_ssim, ssim
from lightning_privgan.metrics.thresholds import near_duplicate_rate, near_duplicate_threshold


class TinyEmbedder(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 8, 3, padding=1)

    def forward(self, x):
        return self.conv(x).mean((2, 3))

    def embed(self, x):
        return nn.functional.normalize(self.conv(x).flatten(1), dim=1)


def _images(n, seed, res=16):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, res, res, generator=g) * 2 - 1


def test_ssim_of_an_image_with_itself_is_one_and_noise_lowers_it():
    x = _images(3, 0)
    assert torch.allclose(ssim(x, x), torch.ones(3), atol=1e-5)
    noisy = (x + 0.5 * torch.randn_like(x)).clamp(-1, 1)
    assert (ssim(x, noisy) < 0.9).all()


def test_pairwise_ssim_matches_elementwise_ssim_across_chunks():
    a, b = _images(5, 1), _images(7, 2)
    full = pairwise_ssim(a, b, pair_budget=256 * 3)  # forces many small chunks
    for i in range(5):
        assert torch.allclose(full[i], ssim(a[i : i + 1].expand(7, -1, -1, -1), b), atol=1e-5)


def test_ssim_agrees_with_torchmetrics():
    tm = pytest.importorskip("torchmetrics.functional.image")
    a, b = _images(2, 3, res=32), _images(2, 4, res=32)
    b = (a + 0.3 * b).clamp(-1, 1)
    ref = torch.stack([tm.structural_similarity_index_measure(a[i : i + 1], b[i : i + 1], data_range=2.0) for i in range(2)])
    # torchmetrics pads reflectively where we use 'valid' windows; the difference is small.
    assert torch.allclose(ssim(a, b), ref, atol=0.05)


@pytest.mark.parametrize("name", ["l2", "ssim", "auditor"])
def test_identical_images_have_distance_zero_and_are_found(name):
    real = _images(10, 5)
    kind = distance_kind(name, auditor=TinyEmbedder())
    synthetic = real[[3, 7, 0]]
    near = nearest_real_distance(synthetic, real, kind)
    assert torch.allclose(near.distance, torch.zeros(3), atol=1e-5)
    assert near.index.tolist() == [3, 7, 0]


def test_shifted_image_is_further_the_more_it_is_shifted():
    real = _images(4, 6)
    kind = distance_kind("l2")
    d = [nearest_real_distance(real[:1] + s, real, kind).distance.item() for s in (0.0, 0.1, 0.3)]
    assert d[0] == pytest.approx(0.0, abs=1e-6)
    assert d[1] == pytest.approx(0.1, rel=1e-4)  # RMS of a constant shift is the shift
    assert d[2] > d[1]


def test_chunked_search_equals_full_search():
    real, query = _images(30, 7), _images(11, 8)
    kind = distance_kind("l2")
    full = nearest_real(query, real, kind.pairwise, budget=10**9)
    tiny = nearest_real(query, real, kind.pairwise, budget=30)  # one query row per chunk
    assert torch.equal(full.index, tiny.index)
    assert torch.allclose(full.distance, tiny.distance)


def test_groups_exclude_the_same_patient():
    real = _images(4, 9)
    real[1] = real[0]  # a rescan of patient A
    real[2] = real[0] + 0.05  # patient B looks a bit like A
    ids = ["A", "A", "B", "C"]
    kind = distance_kind("l2")
    near = nearest_real(real, real, kind.pairwise, query_groups=ids, real_groups=ids)
    assert near.index[0].item() == 2 and near.distance[0].item() == pytest.approx(0.05, rel=1e-4)


def test_near_duplicate_threshold_flags_copies_but_not_new_patients():
    real = _images(40, 10)
    ids = [f"p{i // 2}" for i in range(40)]
    kind = distance_kind("l2")
    feats = kind.features(real)
    thr = near_duplicate_threshold(feats, ids, kind, quantile=0.01)
    assert thr > 0.1  # independent random images are far apart
    copies = nearest_real_distance(real[:5], real, kind).distance
    fresh = nearest_real_distance(_images(20, 11), real, kind).distance
    assert near_duplicate_rate(copies, thr) == 1.0
    assert near_duplicate_rate(fresh, thr) <= 0.1


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="unknown distance"):
        distance_kind("cosine")
    with pytest.raises(ValueError, match="auditor"):
        distance_kind("auditor")
    with pytest.raises(ValueError, match="differ in shape"):
        nearest_real_distance(_images(2, 0, res=16), _images(2, 0, res=32), distance_kind("l2"))
    with pytest.raises(ValueError, match="single patient"):
        kind = distance_kind("l2")
        near_duplicate_threshold(_images(3, 0), ["a"] * 3, kind, 0.01)


def test_a_network_kind_embeds_the_same_unmodified_tensor_once():
    import gc

    from lightning_privgan.metrics.distances import remembering

    calls = []
    features = remembering(lambda x: calls.append(len(x)) or x.flatten(1) * 2)
    a = torch.rand(5, 1, 4, 4)
    first = features(a)
    assert features(a) is first and calls == [5]  # looked up
    assert torch.equal(features(a.clone()), first) and calls == [5, 5]  # an equal copy is another tensor
    a.add_(1.0)  # written to: its old features no longer hold
    assert torch.equal(features(a), a.flatten(1) * 2) and calls == [5, 5, 5]
    del a, first
    gc.collect()
    b = torch.rand(3, 1, 4, 4)  # may reuse a's id: must not get a's features
    assert torch.equal(features(b), b.flatten(1) * 2) and calls[-1] == 3


def test_the_auditor_kind_remembers_its_embeddings():
    from lightning_privgan.metrics.distances import distance_kind

    class Counting(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.calls = torch.nn.Linear(16, 3), 0

        def embed(self, x):
            self.calls += 1
            return self.lin(x.flatten(1))

    net = Counting()
    kind = distance_kind("auditor", auditor=net, batch_size=4)
    images = torch.rand(10, 1, 4, 4)
    assert torch.equal(kind.features(images), kind.features(images)) and net.calls == 3  # 3 batches, once
