"""Near-duplicate threshold, calibrated on how close two *different* real patients come.

A synthetic image closer to a training image than almost any other patient's image is
(the `quantile` of each train image's nearest other-patient distance) is as close as a
rescan of the same person would be: we count it as a near-duplicate (memorisation).
"""
from __future__ import annotations

from typing import Sequence

import torch

from .distances import DistanceKind, nearest_real


def other_patient_distances(real_features: torch.Tensor, patient_ids: Sequence, kind: DistanceKind, device=None) -> torch.Tensor:
    """Each train image's distance to its nearest image of a different patient -> [N]."""
    near = nearest_real(real_features, real_features, kind.pairwise, query_groups=patient_ids, real_groups=patient_ids,
                        device=device)
    if torch.isinf(near.distance).all():
        raise ValueError("near-duplicate threshold: the training set holds a single patient; no other-patient pairs exist")
    return near.distance[torch.isfinite(near.distance)]


def near_duplicate_threshold(
    real_features: torch.Tensor, patient_ids: Sequence, kind: DistanceKind, quantile: float, device=None
) -> float:
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"near-duplicate quantile must lie in [0, 1], got {quantile}")
    d = other_patient_distances(real_features, patient_ids, kind, device)
    return float(torch.quantile(d.double(), quantile))


def near_duplicate_rate(distances: torch.Tensor, threshold: float) -> float:
    """Share of samples strictly closer to a real image than `threshold`."""
    if len(distances) == 0:
        raise ValueError("near-duplicate rate of an empty sample")
    return float((distances < threshold).double().mean())
