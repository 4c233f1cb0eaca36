"""Path endpoints: random latents, projections of real images, or k-same averages of projections.

'random' anchors come from the generator alone (no real image involved); 'inverted' anchors
are real train images projected into W, the non-private baseline; 'ksame' averages groups of
>= k projections of one class (ksame.py), so each anchor stands for k patients at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from ..models.latent_generator import LatentGenerator
from .ksame import ksame_groups


@dataclass
class Anchors:
    w: torch.Tensor  # [A, w_dim] (or [A, num_ws, w_dim])
    labels: torch.Tensor  # [A]
    groups: list[list[int]] = field(default_factory=list)  # manifest rows behind each anchor ([] for random)
    member_w: torch.Tensor | None = None  # the projected latents that were grouped, when any

    def to_dict(self) -> dict:
        return {"w": self.w.cpu(), "labels": self.labels.cpu(), "groups": self.groups,
                "member_w": None if self.member_w is None else self.member_w.cpu()}


@torch.no_grad()
def random_anchors(G: LatentGenerator, num_per_class: int, num_classes: int, seed: int,
                   truncation_psi: float = 1.0) -> Anchors:
    """num_per_class W latents per class, z ~ N(0, I) mapped with the class label as c."""
    if G.c_dim == 0:
        raise ValueError("random anchors need a class-conditional generator (c_dim > 0) to know each anchor's class")
    if G.c_dim != num_classes:
        raise ValueError(f"generator has c_dim={G.c_dim} but the data has {num_classes} classes")
    g = torch.Generator().manual_seed(seed)
    device = G.w_avg.device
    labels = torch.arange(num_classes).repeat_interleave(num_per_class)
    z = torch.randn(len(labels), G.z_dim, generator=g).to(device, G.w_avg.dtype)
    w = torch.cat([G.map(z[s:s + 256], labels[s:s + 256], truncation_psi=truncation_psi)[:, 0]
                   for s in range(0, len(z), 256)])
    return Anchors(w=w, labels=labels.to(device))


ProjectFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def inverted_anchors(project: ProjectFn, images: torch.Tensor, labels: torch.Tensor, rows) -> Anchors:
    """One anchor per real image: project(images, labels) -> w [N, ...]."""
    w = project(images, labels)
    return Anchors(w=w, labels=labels.to(w.device), groups=[[int(r)] for r in rows], member_w=w)


def ksame_anchors(project: ProjectFn, images: torch.Tensor, labels: torch.Tensor, rows, k: int) -> Anchors:
    """Projections grouped k-same; anchors are group means, groups list the manifest rows."""
    w = project(images, labels)
    grouped = ksame_groups(w, labels, k)
    rows = list(rows)
    groups = [[int(rows[i]) for i in g.tolist()] for g in grouped.groups]
    return Anchors(w=grouped.anchors, labels=grouped.labels.to(w.device), groups=groups, member_w=w)
