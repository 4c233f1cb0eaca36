"""Privacy figures of one source's samples against the real training set.

The real training set is featurised once per distance kind (`RealReference`); every
source is then measured against it: mean / median nearest-real distance and the
near-duplicate rate under the threshold calibrated on different real patients.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import pandas as pd
import torch
from torch import nn

from ..metrics.distances import DistanceKind, NearestReal, distance_kind, nearest_real
from ..metrics.thresholds import near_duplicate_rate, near_duplicate_threshold


@dataclass
class RealReference:
    kinds: dict[str, DistanceKind]
    features: dict[str, torch.Tensor]  # kind -> features of the real train images
    thresholds: dict[str, float]  # kind -> near-duplicate threshold
    device: Optional[torch.device] = None  # where comparisons run


def build_reference(
    train_images: torch.Tensor,
    patient_ids: Sequence,
    names: Sequence[str],
    quantile: float,
    auditor: Optional[nn.Module] = None,
    lpips: Optional[nn.Module] = None,
    *,
    batch_size: int,
    device: Optional[torch.device] = None,
) -> RealReference:
    kinds, feats = featurise_reference(train_images, names, auditor, lpips, batch_size=batch_size)
    thresholds = {n: near_duplicate_threshold(feats[n], patient_ids, kinds[n], quantile, device) for n in names}
    return RealReference(kinds, feats, thresholds, device)


def featurise_reference(train_images: torch.Tensor, names: Sequence[str], auditor: Optional[nn.Module] = None,
                        lpips: Optional[nn.Module] = None, *, batch_size: int
                        ) -> tuple[dict[str, DistanceKind], dict[str, torch.Tensor]]:
    """The distance kinds `names` and the features of the real train images under each: the part of
    a reference that a release re-measures against, with the thresholds its audit calibrated."""
    kinds = {n: distance_kind(n, auditor=auditor, lpips=lpips, batch_size=batch_size) for n in names}
    return kinds, {n: k.features(train_images) for n, k in kinds.items()}


def nearest_by_kind(images: torch.Tensor, ref: RealReference,
                    on_kind_done: Optional[Callable[[str], None]] = None) -> dict[str, NearestReal]:
    """Each image's nearest real training image under every distance kind of `ref`."""
    found = {}
    for name, kind in ref.kinds.items():
        found[name] = nearest_real(kind.features(images), ref.features[name], kind.pairwise, device=ref.device)
        if on_kind_done is not None:
            on_kind_done(name)
    return found


def audit_distances(
    images: torch.Tensor, ref: RealReference, on_kind_done: Optional[Callable[[str], None]] = None
) -> tuple[dict, pd.DataFrame]:
    """({kind: {mean_min, median_min, near_duplicate_rate, threshold}}, one row per sample).

    `on_kind_done(kind)` is called after each distance kind (a progress bar: SSIM against a
    large training set takes minutes on a CPU).
    """
    summary, columns = {}, {}
    for name, near in nearest_by_kind(images, ref, on_kind_done).items():
        summary[name] = {
            "mean_min": float(near.distance.mean()),
            "median_min": float(near.distance.median()),
            "near_duplicate_rate": near_duplicate_rate(near.distance, ref.thresholds[name]),
            "threshold": ref.thresholds[name],
        }
        columns[f"{name}_distance"] = near.distance.numpy()
        columns[f"{name}_nearest_train_index"] = near.index.numpy()
    return summary, pd.DataFrame(columns)
