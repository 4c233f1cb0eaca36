"""SSIM (Wang et al. 2004) with a Gaussian window, element-wise and pairwise.

Pairwise SSIM against a whole training set is the expensive part of the audit, so the
per-image statistics (mean, variance) are computed once and only the cross term
G * (x·y) is formed per pair. The Gaussian filter is linear, so G * (x·y) for all pairs of
a chunk is one batched filtering of the chunk's products.
"""
from __future__ import annotations

import torch

# Constants of the original paper for a data range L: C1 = (0.01 L)^2, C2 = (0.03 L)^2.
K1, K2 = 0.01, 0.03
DATA_RANGE = 2.0  # images live in [-1, 1]


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    return g / g.sum()


def _window_for(resolution: int, size: int) -> int:
    # An 11-px window does not fit 8-px images; shrink to the largest odd size that fits.
    size = min(size, resolution)
    return size if size % 2 == 1 else size - 1


def _band(size: int, window: torch.Tensor) -> torch.Tensor:
    """[size - k + 1, size] matrix whose rows are the window shifted by one pixel ('valid' filtering)."""
    k = len(window)
    rows = torch.arange(size - k + 1)[:, None] + torch.arange(k)[None, :]
    band = torch.zeros(size - k + 1, size, dtype=window.dtype)
    band.scatter_(1, rows, window.expand(size - k + 1, k))
    return band


def _blur(x: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian filter with 'valid' padding (as the reference implementation).

    Written as K_h · X · K_wᵀ with band matrices: one batched matmul runs several times
    faster than a depthwise convolution, which matters for millions of image pairs.
    """
    k_h = _band(x.shape[-2], window).to(x)
    k_w = _band(x.shape[-1], window).to(x)
    return k_h @ x @ k_w.T


def _check(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.dim() != 4 or b.dim() != 4 or a.shape[1:] != b.shape[1:]:
        raise ValueError(f"SSIM needs two [N, C, H, W] batches of equal image shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def _ssim_map(mu_a, mu_b, var_a, var_b, blurred_ab) -> torch.Tensor:
    """The SSIM formula per pixel, from the Gaussian-weighted means, variances and E[ab]."""
    c1, c2 = (K1 * DATA_RANGE) ** 2, (K2 * DATA_RANGE) ** 2
    mu_ab = mu_a * mu_b
    cov = blurred_ab - mu_ab
    return ((2 * mu_ab + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))


def ssim(a: torch.Tensor, b: torch.Tensor, window_size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """SSIM of a[i] with b[i] -> [N], averaged over pixels and channels."""
    _check(a, b)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"element-wise SSIM needs equal batch sizes, got {a.shape[0]} and {b.shape[0]}")
    window = gaussian_window(_window_for(a.shape[-1], window_size), sigma)
    a, b = a.float(), b.float()
    mu_a, mu_b = _blur(a, window), _blur(b, window)
    var_a = _blur(a * a, window) - mu_a**2
    var_b = _blur(b * b, window) - mu_b**2
    return _ssim_map(mu_a, mu_b, var_a, var_b, _blur(a * b, window)).flatten(1).mean(1)


def pairwise_ssim(
    a: torch.Tensor, b: torch.Tensor, window_size: int = 11, sigma: float = 1.5, pair_budget: int = 2**22
) -> torch.Tensor:
    """SSIM of every a[i] with every b[j] -> [Na, Nb].

    `pair_budget` bounds the pixels held at once (pairs x C x H x W) so that a large
    training set is processed in chunks instead of exhausting memory.
    """
    _check(a, b)
    window = gaussian_window(_window_for(a.shape[-1], window_size), sigma)
    a, b = a.float(), b.float()
    mu_a, mu_b = _blur(a, window), _blur(b, window)  # [Na, C, h, w], [Nb, C, h, w]
    var_a = _blur(a * a, window) - mu_a**2
    var_b = _blur(b * b, window) - mu_b**2
    pixels = a[0].numel()
    chunk_a = max(1, min(a.shape[0], 64, pair_budget // pixels))
    chunk_b = max(1, min(b.shape[0], pair_budget // (pixels * chunk_a)))
    out = torch.empty(a.shape[0], b.shape[0], device=a.device)
    for i in range(0, a.shape[0], chunk_a):
        ai, mai, vai = a[i : i + chunk_a], mu_a[i : i + chunk_a], var_a[i : i + chunk_a]
        for j in range(0, b.shape[0], chunk_b):
            bj, mbj, vbj = b[j : j + chunk_b], mu_b[j : j + chunk_b], var_b[j : j + chunk_b]
            na, nb = ai.shape[0], bj.shape[0]
            prod = (ai[:, None] * bj[None]).flatten(0, 1)  # [na*nb, C, H, W]
            cross = _blur(prod, window).view(na, nb, *mai.shape[1:])
            ssim_map = _ssim_map(mai[:, None], mbj[None], vai[:, None], vbj[None], cross)
            out[i : i + na, j : j + nb] = ssim_map.flatten(2).mean(2)
    return out
