"""A generator fitted to a handful of images reconstructs them better than new ones, and the
attack on it says so; the discriminator attack reads a discriminator that tells them apart."""
import time

import numpy as np
import torch
from torch import nn

from lightning_privgan.audit.attacks.discriminator_score import discriminator_scores
from lightning_privgan.audit.attacks.generator_attacks import generator_attacks
from lightning_privgan.config.sections.gan import ProjectionConfig
from lightning_privgan.models.stylegan2.networks import Discriminator, Generator
from tests.helpers.attack_sets import RES, phantom_candidates


def _memorising_generator(images: torch.Tensor, steps: int = 300) -> Generator:
    """A tiny unconditional G that renders each of `images` from its own fixed z (fitted by
    regression, as a GAN that memorised them would render them)."""
    torch.manual_seed(0)
    G = Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=RES, img_channels=1, mapping_layers=1,
                  channel_base=64, channel_max=16)
    z = torch.randn(len(images), 8)
    opt = torch.optim.Adam(G.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = (G.render(G.map(z), "const") - images).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return G.eval().requires_grad_(False)


def test_the_reconstruction_attack_finds_the_images_a_generator_memorised():
    started = time.time()
    cand, _ = phantom_candidates(cap=8)
    G = _memorising_generator(cand.members)
    result = generator_attacks(G, None, cand, ProjectionConfig(steps=100, batch_size=16), resamples=200, seed=0,
                               discriminator_note="no checkpoint")
    assert result["reconstruction"]["auc"]["value"] > 0.8
    assert result["discriminator"] == {"skipped": "no checkpoint"}
    assert result["setup"]["members"] == result["setup"]["nonmembers"] == 8
    assert time.time() - started < 20


class _MemberDetector(nn.Module):
    """A 'discriminator' whose logit is minus the distance to the nearest remembered image."""

    c_dim = 0

    def __init__(self, remembered: torch.Tensor):
        super().__init__()
        self.remembered = nn.Parameter(remembered.flatten(1), requires_grad=False)

    def forward(self, img, c=None):
        return -torch.cdist(img.flatten(1), self.remembered).min(1).values


def test_the_discriminator_attack_scores_each_image_alone_and_reads_its_logit():
    cand, _ = phantom_candidates(cap=8)
    scores = discriminator_scores(_MemberDetector(cand.members), cand.images, cand.labels)
    assert (scores[cand.is_member] == 0).all() and (scores[~cand.is_member] < 0).all()
    # A real D's minibatch-std layer couples images in a batch: scored alone, the order cannot matter.
    torch.manual_seed(0)
    D = Discriminator(2, RES, 1, channel_base=64, channel_max=16)
    perm = torch.randperm(len(cand.images))
    a = discriminator_scores(D, cand.images, cand.labels)
    b = discriminator_scores(D, cand.images[perm], cand.labels[perm])
    np.testing.assert_allclose(a[perm.numpy()], b, rtol=1e-5, atol=1e-6)
