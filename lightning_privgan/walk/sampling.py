"""Points taken from optimised paths, and the images they make.

By default endpoints are never sampled and sampling stays between the first and last
*inner* points: anchors may be projections of real images (method 'inverted'), and only
the optimised inner points carry PLAN's privacy pressure.
"""
from __future__ import annotations

import torch

from ..models.latent_generator import LatentGenerator


def sample_latents(paths: torch.Tensor, num: int, generator: torch.Generator, interpolate: bool,
                   include_endpoints: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(w [num, ...], pair_idx [num], step_pos [num] float) drawn uniformly over pairs and steps.

    interpolate=True draws a continuous position and mixes the two neighbouring points of its
    segment; otherwise positions are the optimised steps themselves. `generator` lives on CPU
    so the draw is identical on every device.
    """
    P, n = paths.shape[:2]
    low, high = (0, n - 1) if include_endpoints else (1, n - 2)
    if high < low:
        raise ValueError(f"paths of {n} points have no inner point to sample; use include_endpoints=True")
    pair_idx = torch.randint(0, P, (num,), generator=generator)
    if interpolate and high > low:
        step_pos = low + (high - low) * torch.rand(num, generator=generator, dtype=torch.float64)
    else:
        step_pos = torch.randint(low, high + 1, (num,), generator=generator).double()
    left = step_pos.floor().long().clamp(max=max(n - 2, 0))
    frac = (step_pos - left.double()).to(paths.dtype)
    right = (left + 1).clamp(max=n - 1)
    pair_dev, left_dev, right_dev = pair_idx.to(paths.device), left.to(paths.device), right.to(paths.device)
    frac = frac.to(paths.device).view(num, *([1] * (paths.dim() - 2)))
    w = (1 - frac) * paths[pair_dev, left_dev] + frac * paths[pair_dev, right_dev]
    return w, pair_idx, step_pos


@torch.no_grad()
def synthesize(G: LatentGenerator, w: torch.Tensor, noise_mode: str, batch: int = 64) -> torch.Tensor:
    """Images [N, C, H, W] in [-1, 1] from W latents [N, w_dim] or W+ latents [N, num_ws, w_dim].

    StyleGAN's synthesis takes no class label: the class lives in w (the mapping saw c).
    """
    out = []
    for start in range(0, len(w), batch):
        out.append(G.synthesize(w[start:start + batch], noise_mode=noise_mode).clamp(-1, 1))
    # contiguous: a G in channels-last renders NHWC; callers get the usual NCHW tensor.
    return torch.cat(out).contiguous() if out else w.new_zeros(0, G.img_channels, G.img_resolution, G.img_resolution)


def synthetic_samples(G: LatentGenerator, paths: torch.Tensor, labels: torch.Tensor, num: int, seed: int,
                      interpolate: bool, noise_mode: str, batch: int = 64,
                      include_endpoints: bool = False):
    """A finite synthetic set for the audit: (images, labels, pair_idx, step_pos), reproducible from `seed`."""
    generator = torch.Generator().manual_seed(seed)
    w, pair_idx, step_pos = sample_latents(paths, num, generator, interpolate, include_endpoints)
    images = synthesize(G, w, noise_mode=noise_mode, batch=batch)
    return images, labels.cpu()[pair_idx], pair_idx, step_pos
