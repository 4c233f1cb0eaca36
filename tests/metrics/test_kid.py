"""Kernel Inception distance: the unbiased estimator, checked against its definition."""
from __future__ import annotations

import itertools

import pytest
import torch

from lightning_privgan.metrics.kid import kernel_inception_distance


def _by_definition(x, y):
    k = lambda a, b: (float(a @ b) / len(a) + 1) ** 3  # noqa: E731
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    xy = sum(k(a, b) for a in x for b in y) / (m * n)
    return xx + yy - 2 * xy


def test_kid_matches_its_definition_in_any_block_size():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(7, 3, generator=g, dtype=torch.float64), torch.randn(5, 3, generator=g, dtype=torch.float64) + 1
    for block in (1, 2, 1024):
        assert kernel_inception_distance(x, y, block=block) == pytest.approx(_by_definition(x, y), rel=1e-10)


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(400, 8, generator=g), torch.randn(400, 8, generator=g)
    same, shifted = kernel_inception_distance(a, b), kernel_inception_distance(a, b + 0.5)
    assert abs(same) < 0.05 * shifted and shifted > 0.1
    with pytest.raises(ValueError, match="at least two"):
        kernel_inception_distance(a[:1], b)
    with pytest.raises(ValueError, match="one width"):
        kernel_inception_distance(a, b[:, :4])


def test_the_audit_measures_fd_with_the_gan_stages_features(tmp_path):
    """One FD-feature rule for the GAN's curve and the audit (gan.fd_features): 'offline' keeps the
    GAN's encoder even when Inception weights exist, 'inception' without weights is an error."""
    from torch import nn

    from lightning_privgan.metrics.fd_features import choose_fd_features
    from lightning_privgan.models.components.image_classifier import ImageClassifier

    auditor = ImageClassifier("compact", 1, 16, num_classes=3, width=4)
    encoder = nn.Conv2d(1, 2, 3)
    weights = tmp_path / "inception.pt"
    weights.write_bytes(b"not used in offline mode")
    extractor, name = choose_fd_features("offline", str(weights), encoder, auditor)
    assert extractor is encoder and "offline encoder" in name
    extractor, name = choose_fd_features("auto", None, None, auditor)
    assert extractor == auditor.embed and "auditor embedding" in name
    with pytest.raises(FileNotFoundError, match="gan.fd_features=inception"):
        choose_fd_features("inception", str(tmp_path / "missing.pt"), encoder, auditor)
