"""The images each compared source stands for, built the same way for training and for the audit.

  linear / plan  points sampled along the saved paths (walk stage), rendered by G_ema
  ksame          the k-same anchors alone (each the average latent of >= k patients)
  real           real images (train split for training; the audit uses holdout as reference)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from ..core.seeds import derive_seed
from ..models.latent_generator import LatentGenerator
from .sampling import synthesize, synthetic_samples

SYNTHETIC_SOURCES = ("linear", "plan", "ksame")


@dataclass
class WalkArtifacts:
    G: LatentGenerator
    paths: dict  # paths.pt: "linear"/"plan" [P, n, w_dim], "labels" [P], "pairs"
    anchors: dict  # anchors.pt: "w" [A, w_dim], "labels" [A], "groups"


@torch.no_grad()
def synthetic_source(
    source: str,
    art: WalkArtifacts,
    num: int,
    seed: int,
    interpolate: bool,
    noise_mode: str,
    batch: int = 64,
) -> tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
    """(images [N, C, H, W] on CPU, labels [N], pair index [N] or None) of a synthetic source.

    interpolate and noise_mode are stream.interpolate and walk.noise_mode; `batch` is only the
    number of images G renders at once."""
    if source in ("linear", "plan"):
        if source not in art.paths:
            raise KeyError(f"paths.pt holds no {source!r} paths (it has {sorted(k for k in art.paths if k in ('linear', 'plan'))}); "
                           f"add {source!r} to walk.methods")
        paths = art.paths[source].to(art.G.device)
        images, labels, pair_idx, _ = synthetic_samples(
            art.G, paths, art.paths["labels"], num, seed, interpolate=interpolate, noise_mode=noise_mode, batch=batch
        )
        return images.cpu(), labels.cpu().long(), pair_idx.cpu()
    if source == "ksame":
        w = art.anchors["w"].to(art.G.device)
        images = synthesize(art.G, w, noise_mode=noise_mode, batch=batch)
        return images.cpu(), art.anchors["labels"].cpu().long(), None
    raise ValueError(f"unknown synthetic source {source!r}; synthetic sources are {SYNTHETIC_SOURCES}")


MAX_GATE_ROUNDS = 20


@torch.no_grad()
def gated_synthetic_source(
    source: str,
    art: WalkArtifacts,
    num: int,
    seed: int,
    gate,
    interpolate: bool,
    noise_mode: str,
    batch: int = 64,
) -> tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor], Optional[dict]]:
    """`synthetic_source` through the stream's privacy gate (walk/gate.py): the set a gated stream
    releases, i.e. what a downstream classifier trained on. Draws rounds of `num` candidates until
    `num` pass. Returns (images, labels, pair index, gate record or None when `gate` is None).

    The k-same source is the anchors themselves: it is never gated (it has no candidates to draw).
    """
    if gate is None or source not in ("linear", "plan"):
        return (*synthetic_source(source, art, num, seed, interpolate, noise_mode, batch), None)

    kept: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    drawn = have = 0
    for round_ in range(MAX_GATE_ROUNDS):
        images, labels, pair_idx = synthetic_source(source, art, num, seed if round_ == 0 else derive_seed(seed, "gate", round_),
                                                    interpolate, noise_mode, batch)
        keep = gate.keep(images.to(next(art.G.parameters()).device)).cpu()
        drawn += len(images)
        kept.append((images[keep], labels[keep], pair_idx[keep]))
        have += int(keep.sum())
        if have >= num:
            break
    else:
        raise RuntimeError(f"the privacy gate passed {have} of {drawn} {source} samples, fewer than the {num} wanted: "
                           f"threshold {gate.threshold:.4g} is too strict for these paths")
    images, labels, pair_idx = (torch.cat(parts)[:num] for parts in zip(*kept))
    setting = getattr(gate, "setting", None)
    record = {"threshold": float(gate.threshold), "threshold_source": setting.source if setting else "given",
              "candidates": drawn, "rejected": drawn - have, "released": int(len(images))}
    return images, labels, pair_idx, record
