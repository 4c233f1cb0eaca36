"""The PLAN objective's per-image terms, weighted exactly as the paper's code sums them.

The reference (perceivelab/PLAN, privacy_path.py, get_privacy_path) renders only the n−2
inner points of a path, cuts those images into chunks of 4 starting at the first inner
point, and adds per chunk
    F.kl_div(F.log_softmax(logits, 1), uniform, reduction='batchmean')      (privacy)
    F.cross_entropy(logits, y)                                              (class, mean)
'batchmean' and 'mean' divide by the size of *that chunk*, so the sum over chunks is not a
global mean: an image in a full chunk weighs 1/4, an image in a last, partial chunk of r
images weighs 1/r (n = 16: 14 inner images, chunks 4+4+4+2, the last two weigh 1/2 each).
We render all images of all paths in chunks of any size and reproduce that with per-image
weights. The fixed endpoints are never rendered: they enter the equidistance term alone.

The equidistance term is Σ F.pairwise_distance(w_i, w_{i+1})², and pairwise_distance
computes ‖w_i − w_{i+1} + eps‖ with eps = 1e-6: the eps shifts the gradient by 2e-6 per
coordinate, which Adam's normalisation turns into visible path differences, so we keep it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

REFERENCE_CHUNK = 4
# torch.nn.functional.pairwise_distance's default eps, added to every difference.
PAIRWISE_EPS = 1e-6


def inner_point_weights(n_steps: int, chunk: int = REFERENCE_CHUNK) -> torch.Tensor:
    """Weight [n_steps − 2] of each inner point of a path: 1 / size of the reference chunk it falls in."""
    if n_steps < 3 or chunk < 1:
        raise ValueError(f"need n_steps >= 3 (one inner point) and chunk >= 1, got {n_steps} and {chunk}")
    inner = n_steps - 2
    index = torch.arange(inner)
    start = (index // chunk) * chunk
    size = torch.clamp(torch.full_like(index, inner) - start, max=chunk)
    return 1.0 / size.double()


def kl_uniform_per_image(logits: torch.Tensor) -> torch.Tensor:
    """KL(u || softmax(logits)) per image [N]; summing r of them and dividing by r is 'batchmean'."""
    log_probs = F.log_softmax(logits, dim=1)
    uniform = torch.full_like(log_probs, 1.0 / logits.shape[1])
    return F.kl_div(log_probs, uniform, reduction="none").sum(dim=1)


def cross_entropy_per_image(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, labels, reduction="none")


def equal_spacing(paths: torch.Tensor) -> torch.Tensor:
    """Σ_i ‖w_i − w_{i+1} + eps‖² per path, as pairwise_distance computes it: [P, n, ...] -> [P].

    In W+ the distance is taken per layer (pairwise_distance reduces the last dim) and summed.
    """
    steps = paths[:, :-1] - paths[:, 1:] + PAIRWISE_EPS
    return steps.pow(2).flatten(1).sum(dim=1)
