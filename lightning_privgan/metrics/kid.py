"""Kernel Inception distance (Bińkowski et al. 2018): unbiased MMD² with a cubic polynomial kernel.

Unlike the Fréchet distance it has no bias that grows as the sample shrinks, so it can be
compared between a release of a few dozen images and one of thousands; it is computed on
the same features as the FD (and, like it, means nothing across different features).
"""
from __future__ import annotations

import torch


def _kernel_sum(a: torch.Tensor, b: torch.Tensor, dim: int, block: int) -> torch.Tensor:
    """Sum of k(a_i, b_j) over all pairs, in blocks of rows (memory bounded by block x len(b))."""
    total = a.new_zeros(())
    for s in range(0, len(a), block):
        total += ((a[s:s + block] @ b.T) / dim + 1).pow(3).sum()
    return total


def kernel_inception_distance(fa: torch.Tensor, fb: torch.Tensor, block: int = 1024) -> float:
    """KID between feature sets [m, d] and [n, d]; 0 in expectation for one distribution (can dip below 0)."""
    if fa.dim() != 2 or fb.dim() != 2 or fa.shape[1] != fb.shape[1]:
        raise ValueError(f"KID needs two feature matrices of one width, got {tuple(fa.shape)} and {tuple(fb.shape)}")
    m, n = len(fa), len(fb)
    if m < 2 or n < 2:
        raise ValueError(f"KID needs at least two feature vectors per set, got {m} and {n}")
    a, b, d = fa.double(), fb.double(), fa.shape[1]
    diag_a = ((a * a).sum(1) / d + 1).pow(3).sum()
    diag_b = ((b * b).sum(1) / d + 1).pow(3).sum()
    xx = (_kernel_sum(a, a, d, block) - diag_a) / (m * (m - 1))
    yy = (_kernel_sum(b, b, d, block) - diag_b) / (n * (n - 1))
    xy = _kernel_sum(a, b, d, block) / (m * n)
    return float(xx + yy - 2 * xy)


def subset_kid(real: torch.Tensor, fake: torch.Tensor, subsets: int, subset_size: int, seed: int) -> tuple[float, float]:
    """(mean, std) of the KID over `subsets` random pairs of `subset_size` real and fake features: the
    subsets drawn as torchmetrics' KernelInceptionDistance draws them (a permutation of the real
    features, then of the fake ones, from the global RNG, here seeded and restored)."""
    if subset_size > len(real) or subset_size > len(fake):
        raise ValueError(f"KID subsets of {subset_size} need as many features, got {len(real)} real and {len(fake)} fake")
    scores = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _ in range(subsets):
            f_real = real[torch.randperm(len(real))[:subset_size]]
            f_fake = fake[torch.randperm(len(fake))[:subset_size]]
            scores.append(kernel_inception_distance(f_real, f_fake))
    kid = torch.tensor(scores, dtype=torch.float64)
    return float(kid.mean()), float(kid.std(unbiased=False))
