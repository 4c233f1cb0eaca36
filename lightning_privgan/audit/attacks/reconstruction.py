"""Partial black-box / white-box attack on the generator (GAN-Leaks' PBB/WB): project each real
image into the generator's latent space (models/inversion.py, the projector the anchors use)
and score it by how well G reconstructs it. A generator that memorised an image can render it
almost exactly; a new patient it can only approximate. Score = −(per-image pixel MSE of the
best reconstruction): higher = member. Projection costs `steps` forward/backward passes per
batch, so the caller projects a subsample (audit.attack_samples per side). The projection always
runs in float32, whatever gan.projection.autocast says for the anchors: a reduced-precision
render reconstructs less exactly, and a speed setting must not weaken the audit's attack.
"""
from __future__ import annotations

import numpy as np
import torch
from omegaconf import OmegaConf

from ...config.sections.gan import ProjectionConfig
from ...models.inversion import project
from ...models.latent_generator import LatentGenerator


def reconstruction_scores(G: LatentGenerator, images: torch.Tensor, labels: torch.Tensor | None,
                          projection: ProjectionConfig, seed: int) -> np.ndarray:
    """Per image [N]: minus its reconstruction error through G (a conditional G gets the true class,
    as an attacker who knows the image's label would give it)."""
    if len(images) == 0:
        raise ValueError("the reconstruction attack needs images to project")
    full_precision = OmegaConf.merge(projection, {"autocast": "none"})
    result = project(G, images, labels if G.c_dim else None, full_precision, seed=seed, progress=False)
    return -result.recon_error.double().numpy()
