"""k-same grouping of real latents (k-SALSA's same-size nearest-neighbour clustering).

Within each class, repeatedly take the latent farthest from the centroid of those still
ungrouped together with its k−1 nearest ungrouped neighbours; starting from the outskirts
keeps outliers from being left for last in a loose group. The < k leftovers join the group
whose centroid is nearest. Each group's mean is one anchor: every anchor hides >= k real
images of one class, and no anchor is any single patient's latent.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class KSameGroups:
    anchors: torch.Tensor  # [G, ...] group means
    labels: torch.Tensor  # [G]
    groups: list[torch.Tensor]  # indices into the input latents, one LongTensor per group


def _group_one_class(points: torch.Tensor, k: int) -> list[torch.Tensor]:
    remaining = torch.arange(len(points))
    groups: list[torch.Tensor] = []
    while len(remaining) >= k:
        pts = points[remaining]
        far = torch.linalg.vector_norm(pts - pts.mean(0), dim=1).argmax()
        dist = torch.linalg.vector_norm(pts - pts[far], dim=1)
        dist[far] = -1.0  # the seed itself always comes first
        chosen = dist.argsort()[:k]
        groups.append(remaining[chosen])
        keep = torch.ones(len(remaining), dtype=torch.bool)
        keep[chosen] = False
        remaining = remaining[keep]
    if len(remaining):
        centroids = torch.stack([points[g].mean(0) for g in groups])
        for idx in remaining.tolist():
            nearest = int(torch.linalg.vector_norm(centroids - points[idx], dim=1).argmin())
            groups[nearest] = torch.cat([groups[nearest], torch.tensor([idx])])
    return groups


def ksame_groups(latents: torch.Tensor, labels: torch.Tensor, k: int) -> KSameGroups:
    """Disjoint, class-pure groups of >= k latents covering all of them; anchors = group means.

    latents [N, w_dim] or [N, num_ws, w_dim] (distances use the flattened vector).
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if len(latents) != len(labels):
        raise ValueError(f"{len(latents)} latents but {len(labels)} labels")
    flat = latents.detach().flatten(1).double().cpu()
    labels = labels.cpu().long()
    groups: list[torch.Tensor] = []
    group_labels: list[int] = []
    for cls in labels.unique().tolist():
        members = (labels == cls).nonzero().squeeze(1)
        if len(members) < k:
            raise ValueError(f"class {cls} has {len(members)} latents, fewer than k={k}: no k-anonymous group possible")
        for g in _group_one_class(flat[members], k):
            groups.append(members[g].sort().values)
            group_labels.append(cls)
    anchors = torch.stack([latents.detach()[g.to(latents.device)].mean(0) for g in groups])
    return KSameGroups(anchors=anchors, labels=torch.tensor(group_labels, dtype=torch.long), groups=groups)
