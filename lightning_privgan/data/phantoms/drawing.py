"""Vectorised drawing primitives shared by the phantoms (torch, float32, coordinates in [-1, 1]).

Everything is drawn for a batch at once: shapes carry a leading batch dimension, so one
call renders all patients; no Python loop over pixels or images.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def pixel_grid(resolution: int) -> tuple[torch.Tensor, torch.Tensor]:
    """x (columns, rightwards) and y (rows, downwards) of pixel centres, each [1, H, W]."""
    centres = (torch.arange(resolution, dtype=torch.float32) + 0.5) / resolution * 2 - 1
    y, x = torch.meshgrid(centres, centres, indexing="ij")
    return x[None], y[None]


def edge_softness(resolution: int, minimum: float = 0.02) -> float:
    # At least ~1.5 pixels wide: hard edges alias badly at 16-32 px.
    return max(minimum, 3.0 / resolution)


def soft_ellipse(x, y, cx, cy, ax, ay, softness: float) -> torch.Tensor:
    """1 inside the ellipse, 0 outside, a smooth edge; parameters are [B] tensors."""
    cx, cy, ax, ay = (t.view(-1, 1, 1) for t in (cx, cy, ax, ay))
    radius = torch.sqrt(((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 + 1e-12)
    # (1 - radius) * mean axis ~ signed distance to the edge in image units
    return torch.sigmoid((1 - radius) * (ax + ay) / 2 / softness)


def gaussian_blobs(x, y, centres: torch.Tensor, radii: torch.Tensor, amplitudes: torch.Tensor) -> torch.Tensor:
    """Sum of isotropic Gaussians: centres [B, K, 2], radii/amplitudes [B, K] -> [B, H, W].

    Padding blobs with amplitude 0 lets patients carry different numbers of blobs.
    """
    dx = x[:, None] - centres[..., 0, None, None]  # [B, K, H, W]
    dy = y[:, None] - centres[..., 1, None, None]
    d2 = (dx**2 + dy**2) / radii[..., None, None] ** 2
    return (amplitudes[..., None, None] * torch.exp(-d2)).sum(1)


def segment_lines(x, y, segments: torch.Tensor, widths: torch.Tensor, chunk: int = 16) -> torch.Tensor:
    """Max over line segments of a Gaussian profile across each: segments [B, S, 4] (x0, y0, x1, y1),
    widths [B, S] (0 = padding) -> [B, H, W] in [0, 1]. Chunked over B to bound memory."""
    out = []
    h, w = x.shape[-2:]
    px, py = x.reshape(1, 1, -1), y.reshape(1, 1, -1)
    for start in range(0, segments.shape[0], chunk):
        seg = segments[start : start + chunk]
        wid = widths[start : start + chunk]
        x0, y0, x1, y1 = (seg[..., i, None] for i in range(4))
        vx, vy = x1 - x0, y1 - y0
        t = (((px - x0) * vx + (py - y0) * vy) / (vx**2 + vy**2 + 1e-12)).clamp(0, 1)
        d2 = (px - x0 - t * vx) ** 2 + (py - y0 - t * vy) ** 2
        profile = torch.exp(-d2 / (wid[..., None] ** 2 + 1e-12)) * (wid[..., None] > 0)
        out.append(profile.amax(1).view(-1, h, w))
    return torch.cat(out)


def smooth_noise(generator: torch.Generator, batch: int, channels: int, resolution: int, cells: int = 6) -> torch.Tensor:
    """Low-frequency random field [B, C, H, W], ~unit std: a coarse grid upsampled bicubically."""
    coarse = torch.randn(batch, channels, cells, cells, generator=generator)
    return F.interpolate(coarse, size=(resolution, resolution), mode="bicubic", align_corners=False)


def pose_warp(images: torch.Tensor, rotation_deg, shift_xy, scale_xy, padding_mode: str = "border") -> torch.Tensor:
    """Per-image small motion (rotation, shift, anisotropic scale) by bilinear resampling.

    images [N, C, H, W]; rotation_deg [N]; shift_xy, scale_xy [N, 2] in [-1, 1] image units.
    The matrix is the sampling map (output -> input), i.e. the motion's inverse up to the
    order of shift and rotation, which doesn't matter for random jitter.
    """
    angle = rotation_deg * math.pi / 180
    cos, sin = torch.cos(angle), torch.sin(angle)
    sx, sy = scale_xy[:, 0], scale_xy[:, 1]
    theta = torch.stack(
        [
            torch.stack([cos / sx, sin / sx, -shift_xy[:, 0]], 1),
            torch.stack([-sin / sy, cos / sy, -shift_xy[:, 1]], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode=padding_mode, align_corners=False)


def to_uint8_image(values: torch.Tensor) -> torch.Tensor:
    """Float intensities in [0, 1] -> uint8 [0, 255]."""
    return values.clamp(0, 1).mul(255).round().to(torch.uint8)


def phantom_random_state(num_patients: int, scans_per_patient: int, seed: int) -> tuple[np.random.Generator, torch.Generator]:
    """Checked sizes and the two seeded streams of a phantom set: numpy for parameters,
    torch (seeded from numpy) for noise images, so one seed fixes every pixel."""
    if num_patients < 1 or scans_per_patient < 1:
        raise ValueError("data.phantom.num_patients and scans_per_patient must be at least 1")
    rng = np.random.default_rng(seed)
    return rng, torch.Generator().manual_seed(int(rng.integers(2**31)))


def assign_patient_labels(rng: np.random.Generator, num_patients: int, prevalence: float) -> np.ndarray:
    """Exactly round(prevalence * P) diseased patients, in random order.

    A fixed count (not Bernoulli draws) so small phantom sets never lose a class by chance.
    """
    if not 0.0 <= prevalence <= 1.0:
        raise ValueError(f"data.phantom.prevalence must lie in [0, 1], got {prevalence}")
    diseased = int(round(prevalence * num_patients))
    labels = np.zeros(num_patients, dtype=np.int64)
    labels[:diseased] = 1
    return labels[rng.permutation(num_patients)]


def render_points(points: torch.Tensor, weights: torch.Tensor, radius: float, resolution: int) -> torch.Tensor:
    """Sum of Gaussians exp(-d²/radius²) at `points` [B, K, 2] scaled by `weights` [B, K] -> [B, H, W].

    Same picture as gaussian_blobs with one shared radius, but splat-then-blur costs
    O(K + H·W·kernel) instead of O(K·H·W): the difference between 20 s and <1 s for
    vessel trees drawn as thousands of points.
    """
    b, k, _ = points.shape
    pix = (points + 1) / 2 * resolution - 0.5  # continuous pixel coordinates (x, y)
    base = torch.floor(pix)
    frac = pix - base
    flat = torch.zeros(b * resolution * resolution)
    batch_offset = (torch.arange(b) * resolution * resolution).view(-1, 1)
    for dx in (0, 1):
        for dy in (0, 1):
            ix, iy = base[..., 0].long() + dx, base[..., 1].long() + dy
            share = (frac[..., 0] if dx else 1 - frac[..., 0]) * (frac[..., 1] if dy else 1 - frac[..., 1])
            inside = (ix >= 0) & (ix < resolution) & (iy >= 0) & (iy < resolution)
            index = (batch_offset + iy.clamp(0, resolution - 1) * resolution + ix.clamp(0, resolution - 1))
            flat.index_add_(0, index.reshape(-1), (weights * share * inside).reshape(-1))
    image = flat.view(b, 1, resolution, resolution)
    radius_px = radius * resolution / 2
    half = max(1, int(math.ceil(3 * radius_px)))
    offsets = torch.arange(-half, half + 1, dtype=torch.float32)
    kernel = torch.exp(-(offsets**2) / max(radius_px, 1e-3) ** 2)  # separable: product = exp(-r²/radius²)
    image = F.conv2d(image, kernel.view(1, 1, -1, 1), padding=(half, 0))
    image = F.conv2d(image, kernel.view(1, 1, 1, -1), padding=(0, half))
    return image[:, 0]


def polyline_points(segments: torch.Tensor, resolution: int, radius: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Points sampled along segments [B, S, 4] densely enough to draw a smooth line of `radius`.

    Returns points [B, S*n, 2] and the per-point weight that makes the line's peak ~1
    (n points of a Gaussian line sum to length / spacing · radius · sqrt(pi)).
    """
    start, end = segments[..., :2], segments[..., 2:]
    longest = float((end - start).norm(dim=-1).max()) if segments.numel() else 0.0
    # Half a pixel apart: the bilinear splat already spreads each point over a pixel,
    # so denser sampling would not make thin lines any smoother.
    spacing = 1.0 / resolution
    n = max(2, int(math.ceil(longest / spacing)))
    t = (torch.arange(n, dtype=torch.float32) + 0.5) / n
    points = start[..., None, :] + t.view(1, 1, -1, 1) * (end - start)[..., None, :]
    step = (end - start).norm(dim=-1) / n  # actual spacing of each segment's points
    weights = (step / (radius * math.sqrt(math.pi)))[..., None].expand(-1, -1, n)
    return points.reshape(segments.shape[0], -1, 2), weights.reshape(segments.shape[0], -1)
