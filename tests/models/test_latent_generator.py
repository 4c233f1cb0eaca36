"""The project's StyleGAN2 behind the LatentGenerator interface: the same images as its own modules."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.models.latent_generator import LatentGenerator, one_hot
from lightning_privgan.models.stylegan2.networks import Generator


@pytest.fixture
def G():
    torch.manual_seed(0)
    return Generator(16, 3, 16, 16, 1, mapping_layers=2, channel_base=256, channel_max=32).eval()


def test_map_and_synthesize_are_the_mapping_and_synthesis(G):
    assert isinstance(G, LatentGenerator) and G.num_ws == G.synthesis.num_ws == 6
    z, labels = torch.randn(4, 16), torch.tensor([0, 2, 1, 2])
    ws = G.map(z, labels, truncation_psi=0.7)
    assert torch.equal(ws, G.mapping(z, one_hot(labels, 3), truncation_psi=0.7))
    assert torch.equal(G.synthesize(ws), G.synthesis(ws, noise_mode="const"))
    w = ws[:, 0]  # a W latent is repeated over the layers
    assert torch.equal(G.synthesize(w, noise_mode="none"), G.synthesis(w[:, None].repeat(1, 6, 1), noise_mode="none"))
    assert G.w_avg is G.mapping.w_avg and G.device == torch.device("cpu")


def test_wrong_labels_and_latents_are_refused(G):
    z = torch.randn(2, 16)
    with pytest.raises(ValueError, match="conditioned on 3 classes.*\\(\\[2\\]\\), got None"):
        G.map(z)
    with pytest.raises(ValueError, match="\\[0, 3\\)"):
        G.map(z, torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="\\[N, 16\\] \\(W\\) or \\[N, 6, 16\\] \\(W\\+\\)"):
        G.synthesize(torch.randn(2, 4, 16))


def test_unconditional_generator_ignores_labels():
    torch.manual_seed(0)
    G = Generator(8, 0, 8, 8, 1, mapping_layers=1, channel_base=64, channel_max=16).eval()
    z = torch.randn(3, 8)
    assert torch.equal(G.map(z, torch.tensor([0, 1, 0])), G.map(z))
    G.check_data(num_classes=4, channels=1, resolution=8)  # unconditional fits any class count
    with pytest.raises(ValueError, match="data.resolution=8"):
        G.check_data(num_classes=4, channels=1, resolution=16)
