"""Full black-box attack on an image set: distance to the closest record (GAN-Leaks' FBB, Chen et
al., CCS 2020). The attacker holds the released images and a candidate real image; a generator
that memorised its training images released near-copies of them, so a member lies closer to
the release than a non-member. Score = −(distance to the nearest released image): higher =
member. Any distance kind of metrics/distances.py works; its features are computed by the
caller once per kind and reused for every source.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ...metrics.distances import nearest_real


def closest_record_scores(real_features: torch.Tensor, synthetic_features: torch.Tensor,
                          pairwise: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                          device: torch.device | str | None = None) -> np.ndarray:
    """Per real image [N]: minus its distance to the nearest synthetic image."""
    if len(synthetic_features) == 0:
        raise ValueError("the closest-record attack needs at least one synthetic image")
    near = nearest_real(real_features, synthetic_features, pairwise, device=device)
    return -near.distance.double().numpy()
