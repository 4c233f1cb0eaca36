"""Fréchet distance, re-identification, the path curve and LPIPS loading on known cases."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from lightning_privgan.audit.path_curve import (path_step_distances, plot_path_curves, render_path_points,
                                                summarize_path_distances)
from lightning_privgan.audit.reid import auditor_probabilities, confident_share, reidentification
from lightning_privgan.metrics.distances import distance_kind
from lightning_privgan.metrics.lpips import load_lpips
from lightning_privgan.models.latent_generator import LatentGenerator


class FixedAuditor(nn.Module):
    """Names identity 0 with certainty for bright images, is unsure for dark ones."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, x):
        m = x.mean((1, 2, 3))
        return torch.stack([self.scale * m, torch.zeros_like(m), torch.zeros_like(m)], 1)


def test_reidentification_counts_confident_assignments():
    bright, dark = torch.ones(3, 1, 8, 8), -torch.ones(5, 1, 8, 8)
    out = reidentification(FixedAuditor(), torch.cat([bright, dark]), 0.9, ["p0", "p1", "p2"])
    assert out["rate"] == pytest.approx(3 / 8)
    assert out["chance"] == pytest.approx(1 / 3)
    assert out["most_named"] == [("p0", 3)]
    assert confident_share(auditor_probabilities(FixedAuditor(), dark), 0.9) == 0.0
    assert confident_share(auditor_probabilities(FixedAuditor(), bright), 0.9) == 1.0
    with pytest.raises(ValueError, match="identities"):
        reidentification(FixedAuditor(), bright, 0.9, ["p0"])


class LinearG(LatentGenerator):
    """A 'generator' whose image is the first w coordinate everywhere: distances are easy to predict."""

    z_dim = w_dim = 4
    num_ws, c_dim, img_channels, img_resolution = 2, 0, 1, 8

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))
        self.register_buffer("mean_w", torch.zeros(4))

    def map(self, z, labels=None, truncation_psi=1.0):  # z is w: the mapping is the identity
        return self.broadcast(self.mean_w.lerp(z, truncation_psi))

    def render(self, ws, noise_mode):
        return ws[:, 0, :1, None, None].expand(-1, 1, 8, 8) + self.dummy

    @property
    def w_avg(self):
        return self.mean_w


def test_path_curve_of_a_path_through_a_real_image(tmp_path):
    real = torch.zeros(1, 1, 8, 8)  # the training set: one image of value 0
    line = torch.linspace(-1, 1, 5)[:, None].expand(5, 4)  # w1 runs -1 .. 1, through 0 at step 2
    paths = torch.stack([line, line * 0.5])  # second path: -0.5 .. 0.5
    images = render_path_points(LinearG(), paths, "const", 64)
    assert images.shape == (10, 1, 8, 8)
    kind = distance_kind("l2")
    d = path_step_distances(images, 2, kind, kind.features(real))
    assert torch.allclose(d[0], torch.tensor([1.0, 0.5, 0.0, 0.5, 1.0]), atol=1e-5)
    curve = summarize_path_distances(d)
    assert curve.closest_step == [2, 2]
    assert curve.mean[0] == pytest.approx(0.75) and curve.low[0] < 0.75 < curve.high[0]
    png = plot_path_curves({"linear": curve, "plan": curve}, tmp_path / "curve.png", "l2")
    assert png.stat().st_size > 1000


def test_lpips_is_skipped_without_local_weights(tmp_path):
    net, why = load_lpips(None)
    assert net is None and "lpips_weights" in why
    net, why = load_lpips(str(tmp_path / "missing.pth"))
    assert net is None and "does not exist" in why


def test_lpips_feature_map_reproduces_the_lpips_sum(tmp_path):
    """Mechanics only: the weights here are made up, so the numbers are no LPIPS."""
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    alex = torchvision.models.alexnet()
    torch.save(alex.state_dict(), tmp_path / "alex_backbone.pth")
    lins = {f"lin{i}.model.1.weight": torch.rand(1, c, 1, 1) for i, c in enumerate([64, 192, 384, 256, 256])}
    torch.save(lins, tmp_path / "alex.pth")
    net, why = load_lpips(str(tmp_path / "alex.pth"), str(tmp_path / "alex_backbone.pth"))
    assert why == "" and net.net == "alex"
    a, b = torch.rand(2, 1, 16, 16) * 2 - 1, torch.rand(2, 1, 16, 16) * 2 - 1
    assert torch.allclose(net(a, a), torch.zeros(2), atol=1e-6)
    # Direct LPIPS formula on the same activations.
    def acts(x):
        x = nn.functional.interpolate(x.repeat(1, 3, 1, 1), size=(64, 64), mode="bilinear", align_corners=False)
        x = (x - torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)) / torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)
        out = []
        for block in net.slices:
            x = block(x)
            out.append(x / (x.pow(2).sum(1, keepdim=True).sqrt() + 1e-10))
        return out

    direct = sum(((fa - fb) ** 2 * lins[f"lin{i}.model.1.weight"]).sum(1).mean((1, 2)) for i, (fa, fb) in enumerate(zip(acts(a), acts(b))))
    assert torch.allclose(net(a, b), direct, rtol=1e-4)
