"""Discriminator score (LOGAN, Hayes et al., PETS 2019): a discriminator that overfitted is more
confident that its training images are real. Score = D's logit: higher = member.

D has a minibatch-stddev layer, so its output on an image depends on the others in its
batch; each image is scored alone (a group of one), so that no member's score depends on a
non-member's, and the order the attacker feeds images in changes nothing.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...models.latent_generator import one_hot


@torch.no_grad()
def discriminator_scores(D: nn.Module, images: torch.Tensor, labels: torch.Tensor | None) -> np.ndarray:
    """Per image [N]: D's logit, the image judged alone (with its one-hot class when D is conditional)."""
    if len(images) == 0:
        raise ValueError("the discriminator attack needs images to score")
    D.eval()
    device = next(D.parameters()).device
    c = one_hot(labels, D.c_dim) if D.c_dim else None
    out = [D(images[i: i + 1].to(device).float(), None if c is None else c[i: i + 1].to(device)).float().cpu()
           for i in range(len(images))]
    return torch.cat(out).double().numpy()
