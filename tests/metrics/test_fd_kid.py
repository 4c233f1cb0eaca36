"""FD (the project's one Fréchet distance, checked against torchmetrics) and KID on our features, at one n for every source; the gated audit sample."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.metrics.fd_kid import DistributionMetrics, equal_sample_size, feature_net, subsample
from lightning_privgan.metrics.frechet import fd_of_features

SAMPLING = dict(interpolate=True, noise_mode="const")  # stream.interpolate, walk.noise_mode


def _flat(x):
    return x.flatten(1)[:, :6]


def test_fd_matches_the_projects_frechet_distance_on_the_subsample():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(120, 1, 4, 4, generator=g), torch.randn(200, 1, 4, 4, generator=g) + 0.4
    metrics = DistributionMetrics(feature_net(_flat, real, "cpu", 64), real, n=50, kid_subsets=10, seed=0)
    out = metrics.measure(fake, seed=3)
    expected = fd_of_features(_flat(real).double(), _flat(subsample(fake, 50, 3)).double())
    assert out["fd"] == pytest.approx(expected, rel=1e-6)
    assert out["n"] == 50 and out["kid_subset_size"] == 25 and out["kid_std"] > 0
    assert metrics.measure(fake, seed=3) == out  # seeded: the same subsample and KID subsets
    same = metrics.measure(real[60:], seed=1)  # the reference's own distribution
    assert abs(same["kid_mean"]) < 0.5 * out["kid_mean"]  # 25-image subsets: noisy, but no shift


def test_the_audit_fd_agrees_with_torchmetrics_on_the_same_features():
    from torchmetrics.image.fid import FrechetInceptionDistance

    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(150, 1, 4, 4, generator=g), torch.randn(150, 1, 4, 4, generator=g) * 1.3 + 0.2
    features = feature_net(_flat, real, "cpu", 64)
    ours = DistributionMetrics(features, real, n=150, kid_subsets=5, seed=0).measure(fake, seed=0)["fd"]
    reference = FrechetInceptionDistance(feature=features)
    reference.update(real, real=True)
    reference.update(subsample(fake, 150, 0), real=False)
    assert ours == pytest.approx(float(reference.compute()), rel=1e-6)


def test_every_source_is_measured_at_the_smallest_n_unless_told():
    counts = {"real": 40, "linear": 256, "plan": 256, "ksame": 96}
    assert equal_sample_size(counts) == 40
    assert equal_sample_size(counts, 30) == 30
    with pytest.raises(ValueError, match="audit.fd_samples=64 but source 'real' has only 40"):
        equal_sample_size(counts, 64)


def test_fd_of_a_small_source_is_no_longer_inflated_against_a_large_one():
    """Before, k-same's FD came from its N/k anchors and PLAN's from 512 samples: the same
    distribution scored worse at small n. At one n, two draws of one distribution agree."""
    g = torch.Generator().manual_seed(1)
    real = torch.randn(400, 1, 4, 4, generator=g)
    small, large = torch.randn(40, 1, 4, 4, generator=g), torch.randn(400, 1, 4, 4, generator=g)
    unequal = (fd_of_features(_flat(real).double(), _flat(small).double()),
               fd_of_features(_flat(real).double(), _flat(large).double()))
    assert unequal[0] > 3 * unequal[1]  # the bias the equal n removes
    n = equal_sample_size({"small": len(small), "large": len(large)})
    metrics = DistributionMetrics(feature_net(_flat, real, "cpu", 64), real, n=n, kid_subsets=20, seed=0)
    fd_small, fd_large = metrics.measure(small, 0)["fd"], metrics.measure(large, 0)["fd"]
    assert fd_small == pytest.approx(fd_large, rel=0.6)


def test_gated_source_releases_only_samples_the_gate_keeps():
    from lightning_privgan.walk.synthetic_sources import WalkArtifacts, gated_synthetic_source
    from tests.helpers.fake_networks import fake_trio

    G, _, _ = fake_trio()
    w = torch.randn(4, G.w_dim, generator=torch.Generator().manual_seed(0))
    paths = w[:2, None] + torch.linspace(0, 1, 6)[None, :, None] * (w[2:] - w[:2])[:, None]
    art = WalkArtifacts(G, {"plan": paths, "labels": torch.tensor([0, 1])}, {"w": w, "labels": torch.tensor([0, 0, 1, 1])})

    class HalfGate:  # keeps images whose mean pixel is above the median of the first draw
        threshold = 0.0

        def keep(self, images):
            return images.mean((1, 2, 3)) > self.threshold

    plain, _, _, record = gated_synthetic_source("plan", art, 16, seed=0, gate=None, **SAMPLING)
    assert record is None
    HalfGate.threshold = float(plain.mean((1, 2, 3)).median())
    images, labels, pair_idx, record = gated_synthetic_source("plan", art, 16, seed=0, gate=HalfGate(), **SAMPLING)
    assert len(images) == 16 and (images.mean((1, 2, 3)) > HalfGate.threshold).all()
    assert record["released"] == 16 and record["candidates"] >= 32 and record["rejected"] > 0
    anchors, _, _, untouched = gated_synthetic_source("ksame", art, 0, seed=0, gate=HalfGate(), **SAMPLING)
    assert untouched is None and len(anchors) == 4  # the anchors are what they are
