"""The PLAN objective's per-image terms and the reference code's chunk weighting.

The reference computes the privacy term as
    sum over chunks of 4 images of F.kl_div(F.log_softmax(logits, 1), uniform, reduction='batchmean')
and the class term the same way with F.cross_entropy (mean reduction). 'batchmean' and 'mean'
divide by the size of *that chunk*, so the sum over chunks is not a global mean: an image in a
full chunk weighs 1/4, an image in a last, partial chunk of r images weighs 1/r. We batch all
images of all paths at once and reproduce that exactly with per-image weights.

Which images are in the sum: all n points of a path, endpoints included, in path order
(w_1, w_2, ..., w_n), cut into chunks of 4 starting at w_1. The endpoints are fixed, so their
terms are constants (no gradient) but they (a) count in the logged value and (b) decide where
the chunk boundaries fall, hence the weights of the inner points.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

REFERENCE_CHUNK = 4


def reference_point_weights(n_points: int, chunk: int = REFERENCE_CHUNK) -> torch.Tensor:
    """Weight [n_points] of each path point: 1 / size of the reference chunk it falls in."""
    if n_points < 1 or chunk < 1:
        raise ValueError(f"need n_points >= 1 and chunk >= 1, got {n_points} and {chunk}")
    index = torch.arange(n_points)
    start = (index // chunk) * chunk
    size = torch.clamp(torch.full_like(index, n_points) - start, max=chunk)
    return 1.0 / size.double()


def kl_uniform_per_image(logits: torch.Tensor) -> torch.Tensor:
    """KL(u || softmax(logits)) per image [N]; summing r of them and dividing by r is 'batchmean'."""
    log_probs = F.log_softmax(logits, dim=1)
    uniform = torch.full_like(log_probs, 1.0 / logits.shape[1])
    return F.kl_div(log_probs, uniform, reduction="none").sum(dim=1)


def cross_entropy_per_image(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, labels, reduction="none")


def equal_spacing(paths: torch.Tensor) -> torch.Tensor:
    """Σ_i ||w_{i+1} − w_i||² per path: paths [P, n, ...] -> [P] (W+ sums over layers too)."""
    steps = paths[:, 1:] - paths[:, :-1]
    return steps.pow(2).flatten(1).sum(dim=1)


def expected_channels(net: nn.Module) -> int | None:
    """Input channels a classifier wants: its `in_channels` attribute, else its first Conv2d's."""
    declared = getattr(net, "in_channels", None)
    if isinstance(declared, int):
        return declared
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            return module.in_channels
    return None


def match_channels(images: torch.Tensor, channels: int | None) -> torch.Tensor:
    """Grayscale repeated to 3 channels for a 3-channel classifier (the paper's choice)."""
    have = images.shape[1]
    if channels is None or channels == have:
        return images
    if have == 1 and channels == 3:
        return images.expand(-1, 3, -1, -1)
    raise ValueError(f"a classifier expects {channels}-channel images but the generator makes {have}-channel ones")

