"""Generator / discriminator: the fixed StyleGAN2-ADA interface, presets, export, FD maths."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.metrics.frechet import feature_stats, frechet_distance
from lightning_privgan.models.ada_augment import AdaptiveAugment
from lightning_privgan.models.generator_io import load_generator, save_generator
from lightning_privgan.models.latent_generator import one_hot
from lightning_privgan.models.stylegan2.networks import Discriminator, Generator
from lightning_privgan.models.stylegan2.presets import PRESETS, resolve_architecture


def tiny_G(c_dim=2, res=16, channels=1):
    return Generator(z_dim=16, c_dim=c_dim, w_dim=16, img_resolution=res, img_channels=channels,
                     mapping_layers=2, channel_base=256, channel_max=32)


@pytest.mark.parametrize("c_dim,channels", [(0, 1), (3, 3)])
def test_generator_interface(c_dim, channels):
    G = tiny_G(c_dim, 32, channels)
    assert (G.z_dim, G.c_dim, G.w_dim, G.img_resolution, G.img_channels) == (16, c_dim, 16, 32, channels)
    assert G.mapping.num_ws == 2 * 5 - 2 and G.mapping.w_avg.shape == (16,)
    z = torch.randn(4, 16)
    c = one_hot(torch.tensor([0, 1, 2, 0]) % max(c_dim, 1), c_dim)
    ws = G.mapping(z, c)
    assert ws.shape == (4, G.mapping.num_ws, 16)
    assert torch.equal(ws[:, 0], ws[:, -1])  # the same w for every layer
    img = G.synthesis(ws[:, 0].unsqueeze(1).repeat(1, G.mapping.num_ws, 1), noise_mode="const")
    assert img.shape == (4, channels, 32, 32)
    assert torch.allclose(G(z, c), img)  # const noise: deterministic
    assert not torch.allclose(G(z, c, noise_mode="none"), G(z, c, noise_mode="none") + 1)


def test_noise_modes_and_truncation():
    G = tiny_G()
    for layer in G.synthesis.modules():
        if hasattr(layer, "noise_strength"):
            layer.noise_strength.data.fill_(0.5)
    z, c = torch.randn(2, 16), one_hot(torch.tensor([0, 1]), 2)
    ws = G.mapping(z, c)
    assert not torch.allclose(G.synthesis(ws, "random"), G.synthesis(ws, "random"))
    assert not torch.allclose(G.synthesis(ws, "const"), G.synthesis(ws, "none"))
    with pytest.raises(ValueError, match="noise_mode"):
        G.synthesis(ws, noise_mode="fixed")
    G.mapping.w_avg.fill_(0.3)
    assert torch.allclose(G.mapping(z, c, truncation_psi=0.0), torch.full_like(ws, 0.3))


def test_w_avg_tracks_mapping_output():
    G = tiny_G()
    z, c = torch.randn(64, 16), one_hot(torch.randint(0, 2, (64,)), 2)
    before = G.mapping.w_avg.clone()
    ws = G.mapping(z, c, update_w_avg=True)
    assert torch.allclose(G.mapping.w_avg, before.lerp(ws[:, 0].mean(0), 1 - G.mapping.w_avg_beta), atol=1e-6)


def test_conditional_generator_rejects_missing_class():
    with pytest.raises(ValueError, match="one-hot c"):
        tiny_G()(torch.randn(2, 16), None)


def test_discriminator_shapes_and_projection():
    D = Discriminator(c_dim=2, img_resolution=32, img_channels=1, channel_base=256, channel_max=32)
    img = torch.randn(6, 1, 32, 32)
    c0, c1 = one_hot(torch.zeros(6, dtype=torch.long), 2), one_hot(torch.ones(6, dtype=torch.long), 2)
    assert D(img, c0).shape == (6,)
    assert not torch.allclose(D(img, c0), D(img, c1))  # the class changes the score


def test_presets_fill_only_unset_keys(cpu_cfg):
    cfg = cpu_cfg({"gan": {"preset": "paper", "channel_max": 64}})
    arch = resolve_architecture(cfg.gan)
    assert arch["channel_max"] == 64 and arch["channel_base"] == PRESETS["paper"]["channel_base"]
    G = Generator.from_config(cfg.gan, num_classes=2, channels=1, resolution=32)
    assert G.z_dim == 512 and G.c_dim == 2
    assert Generator.from_config(cpu_cfg({"gan": {"conditional": False}}).gan, 2, 1, 32).c_dim == 0


def test_save_load_generator_roundtrip(tmp_path):
    G = tiny_G()
    G.mapping.w_avg.fill_(0.7)
    save_generator(G, tmp_path / "g.pt")
    G2 = load_generator(tmp_path / "g.pt")
    z, c = torch.randn(3, 16), one_hot(torch.tensor([0, 1, 1]), 2)
    assert torch.allclose(G(z, c), G2(z, c)) and torch.equal(G2.mapping.w_avg, G.mapping.w_avg)
    (tmp_path / "bad.pt").write_bytes(b"")
    torch.save({"x": 1}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="not a generator"):
        load_generator(tmp_path / "bad.pt")


def test_frechet_distance_matches_closed_form():
    torch.manual_seed(0)
    a = torch.randn(4000, 3, dtype=torch.float64)
    b = torch.randn(4000, 3, dtype=torch.float64) * 2 + 1
    fd = frechet_distance(*feature_stats(a), *feature_stats(b))
    # N(0, I) vs N(1, 4I) in 3-d: 3 * 1^2 + 3 * (1 + 4 - 2 * 2) = 6
    assert abs(fd - 6.0) < 0.3
    assert frechet_distance(*feature_stats(a), *feature_stats(a)) < 1e-8
    # rank-deficient covariances (fewer samples than dims) must not produce NaN
    few = torch.randn(5, 32, dtype=torch.float64)
    assert torch.isfinite(torch.tensor(frechet_distance(*feature_stats(few), *feature_stats(few + 0.1))))


def test_ada_augment_is_differentiable_and_adapts():
    aug = AdaptiveAugment(p=1.0, flip=True)
    img = torch.randn(8, 1, 16, 16, requires_grad=True)
    out = aug(img)
    assert out.shape == img.shape and not torch.allclose(out, img)
    out.sum().backward()
    assert img.grad is not None and img.grad.abs().sum() > 0
    assert torch.equal(AdaptiveAugment(p=0.0)(img), img)
    aug = AdaptiveAugment(p=0.5, target=0.6, adjust_kimg=1.0)
    aug.adjust(real_sign_mean=0.9, images_seen=100)  # D overfits -> more augmentation
    assert abs(float(aug.p) - 0.6) < 1e-6
    aug.adjust(real_sign_mean=0.0, images_seen=1000)
    assert float(aug.p) == 0.0
