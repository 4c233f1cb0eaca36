"""Nearest-real distances: how close each synthetic image comes to any real training image.

A distance kind is a feature map (computed once per image) plus a pairwise distance on
those features, so the real training set is featurised once and every query is compared
with all of it in memory-bounded chunks.

Kinds (all 0 for identical images, larger = further away):
  auditor  1 - cosine similarity of the auditor's L2-normalised embeddings. Never φ_id:
           the walker optimised against φ_id, so φ_id would certify its own work.
  ssim     1 - SSIM (Gaussian window, metrics/ssim.py).
  l2       root-mean-square pixel difference in [-1, 1] units.
  lpips    LPIPS with local pretrained weights only (metrics/lpips.py).
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, TypeVar

import numpy as np
import torch
from torch import nn

from .ssim import pairwise_ssim

DISTANCE_KINDS = ("auditor", "ssim", "l2", "lpips")
T = TypeVar("T")


@dataclass(frozen=True)
class DistanceKind:
    name: str
    features: Callable[[torch.Tensor], torch.Tensor]  # images [N, C, H, W] -> features [N, ...]
    pairwise: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # -> [Na, Nb]


@dataclass
class NearestReal:
    distance: torch.Tensor  # [N] distance to the nearest real image
    index: torch.Tensor  # [N] row of that image in the real set


def _euclidean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # cdist's matmul shortcut (|a|² + |b|² - 2ab) cancels catastrophically for near-identical
    # images, exactly the pairs the audit is looking for; the direct difference gives 0 for copies.
    return torch.cdist(a.flatten(1).float(), b.flatten(1).float(), compute_mode="donot_use_mm_for_euclid_dist")


def pairwise_rms(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return _euclidean(a, b) / math.sqrt(a[0].numel())


def pairwise_one_minus_ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return 1.0 - pairwise_ssim(a, b)


def pairwise_cosine_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # Embeddings are re-normalised: a user's embed() may return unit vectors only up to rounding.
    a = torch.nn.functional.normalize(a.float(), dim=1)
    b = torch.nn.functional.normalize(b.float(), dim=1)
    return (1.0 - a @ b.T).clamp_min(0.0)


@torch.no_grad()
def embed_images(net: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """net.embed over batches on the net's device -> CPU features [N, D]."""
    net.eval()
    device = next(net.parameters()).device
    feats = [net.embed(images[i : i + batch_size].to(device)).float().cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(feats) if feats else torch.empty(0)


def remembering(features: Callable[[torch.Tensor], T]) -> Callable[[torch.Tensor], T]:
    """`features` that returns what it computed before for the very same, unmodified tensor.

    The audit measures each source's images under every kind and then attacks the same tensors
    (stages/release_attacks.py); a network's embedding of them is the same batches through the
    same network, so it is looked up, not computed again. A tensor counts as the same only while
    it lives (a weak reference) and has not been written to since (its version counter)."""
    seen: dict[int, tuple[weakref.ref, int, T]] = {}

    def features_of(x: torch.Tensor) -> T:
        hit = seen.get(id(x))
        if hit is not None and hit[0]() is x and hit[1] == x._version:
            return hit[2]
        f = features(x)
        seen[id(x)] = (weakref.ref(x, lambda _, key=id(x): seen.pop(key, None)), x._version, f)
        return f

    return features_of


def distance_kind(name: str, auditor: Optional[nn.Module] = None, lpips: Optional[nn.Module] = None, batch_size: int = 256) -> DistanceKind:
    """The feature map and pairwise distance of distance `name`."""
    if name == "l2":
        return DistanceKind(name, lambda x: x.float().cpu(), pairwise_rms)
    if name == "ssim":
        return DistanceKind(name, lambda x: x.float().cpu(), pairwise_one_minus_ssim)
    if name == "auditor":
        if auditor is None:
            raise ValueError("the 'auditor' distance needs the auditor network (stage 'auditor')")
        return DistanceKind(name, remembering(lambda x: embed_images(auditor, x, batch_size)), pairwise_cosine_distance)
    if name == "lpips":
        if lpips is None:
            raise ValueError("the 'lpips' distance needs a LPIPS network built from local weights (metrics/lpips.py)")
        # LPIPS = ||Φ(a) - Φ(b)||² for the flattened, weighted features Φ (see lpips.py).
        return DistanceKind(name, remembering(lambda x: embed_images(lpips, x, batch_size)),
                            lambda a, b: _euclidean(a, b) ** 2)
    raise ValueError(f"unknown distance {name!r}; distances are {DISTANCE_KINDS}")


def nearest_real(
    query: torch.Tensor,
    real: torch.Tensor,
    pairwise: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    query_groups: Optional[Sequence] = None,
    real_groups: Optional[Sequence] = None,
    budget: int = 2**24,
    device: torch.device | str | None = None,
) -> NearestReal:
    """Nearest row of `real` for every row of `query` (both already featurised).

    With groups (patient ids), pairs of the same group are skipped: the nearest
    *other-patient* image, which calibrates the near-duplicate threshold.
    `budget` bounds the pairwise matrix held at once (query rows x real rows); `device`
    is where the comparisons run (the real features are moved there once). Results are on CPU.
    """
    if len(real) == 0:
        raise ValueError("nearest_real: the real set is empty")
    if (query_groups is None) != (real_groups is None):
        raise ValueError("nearest_real: give groups for both sets or for neither")
    if query_groups is not None:
        qg, rg = np.asarray(query_groups), np.asarray(real_groups)
        if len(qg) != len(query) or len(rg) != len(real):
            raise ValueError("nearest_real: one group label per row is needed")
        _, codes = np.unique(np.concatenate([qg, rg]), return_inverse=True)
        q_codes = torch.as_tensor(codes[: len(qg)], device=device)
        r_codes = torch.as_tensor(codes[len(qg) :], device=device)
    real = real.to(device) if device is not None else real
    rows = max(1, budget // len(real))
    dist, idx = [], []
    for i in range(0, len(query), rows):
        chunk = query[i : i + rows]
        d = pairwise(chunk.to(device) if device is not None else chunk, real)
        if query_groups is not None:
            d = d.masked_fill(q_codes[i : i + rows, None] == r_codes[None], float("inf"))
        m, j = d.min(dim=1)
        dist.append(m.cpu())
        idx.append(j.cpu())
    if not dist:
        return NearestReal(torch.empty(0), torch.empty(0, dtype=torch.long))
    return NearestReal(torch.cat(dist), torch.cat(idx))


def nearest_real_distance(
    synthetic: torch.Tensor,
    real: torch.Tensor,
    kind: DistanceKind,
    real_features: Optional[torch.Tensor] = None,
    device: torch.device | str | None = None,
) -> NearestReal:
    """Distance of every synthetic image to its nearest real image under `kind`.

    Pass `real_features` (kind.features(real)) when auditing several sources against
    the same training set, to featurise it once.
    """
    if synthetic.shape[1:] != real.shape[1:]:
        raise ValueError(f"synthetic images {tuple(synthetic.shape[1:])} and real images {tuple(real.shape[1:])} differ in shape")
    feats = real_features if real_features is not None else kind.features(real)
    return nearest_real(kind.features(synthetic), feats, kind.pairwise, device=device)
