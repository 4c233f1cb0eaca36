"""A small conditional StyleGAN2 generator and four images it made: what a projector must recover."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.models.latent_generator import one_hot
from lightning_privgan.models.stylegan2.networks import Generator


@pytest.fixture
def generated():
    """(G, images [4, 1, 16, 16] that G rendered from known latents, their class labels)."""
    torch.manual_seed(0)
    G = Generator(64, 2, 64, 16, 1, mapping_layers=2, channel_base=512, channel_max=64).eval()
    labels = torch.tensor([0, 1, 0, 1])
    with torch.no_grad():
        ws = G.mapping(torch.randn(4, 64), one_hot(labels, 2))
        images = G.synthesis(ws, noise_mode="const").clamp(-1, 1)
    return G, images, labels
