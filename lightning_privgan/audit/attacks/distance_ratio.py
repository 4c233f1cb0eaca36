"""Distance ratio on an image set (SDMetrics' DCR overfitting protection): for each synthetic image,
is its nearest real image a member (train) or a non-member (holdout)? With the two real sets of
equal size (balanced by patient), a set that learned the distribution and copied no one sits
at 50 % members; a set that copies its training images sits above.

The real sets are fixed; the interval is a percentile bootstrap over the synthetic images,
the unit whose share is counted.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ...metrics.distances import nearest_real


def nearest_is_member(synthetic_features: torch.Tensor, member_features: torch.Tensor,
                      nonmember_features: torch.Tensor,
                      pairwise: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                      device: torch.device | str | None = None) -> np.ndarray:
    """Per synthetic image [S]: whether its nearest real image (members ∪ non-members) is a member."""
    if len(member_features) != len(nonmember_features):
        raise ValueError(f"the distance-ratio attack needs equal real sets, got {len(member_features)} members "
                         f"and {len(nonmember_features)} non-members")
    near = nearest_real(synthetic_features, torch.cat([member_features, nonmember_features]), pairwise, device=device)
    return (near.index < len(member_features)).numpy()


def member_share(hits: np.ndarray, resamples: int, seed: int, level: float = 0.95) -> dict:
    """{'value': share of synthetic images nearest to a member, 'low', 'high', 'synthetic'}."""
    hits = np.asarray(hits, dtype=np.float64)
    if len(hits) < 2:
        raise ValueError("the distance-ratio attack needs at least two synthetic images")
    rng = np.random.default_rng(seed)
    draws = hits[rng.integers(0, len(hits), (resamples, len(hits)))].mean(1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(draws, [tail, 100 - tail])
    return {"value": float(hits.mean()), "low": float(low), "high": float(high), "synthetic": int(len(hits)),
            "resamples": int(resamples), "level": level}
