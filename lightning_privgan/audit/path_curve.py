"""Distance to the nearest real image along each latent path, linear vs PLAN.

The paper's claim in one picture: a straight line between two anchors passes close to
training identities on the way, a PLAN path keeps its distance. For every step of every
path the image is rendered (W broadcast to all layers, noise 'const', as the walker) and
its nearest-real distance measured; the curve is the mean over pairs with a 95% CI.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..metrics.distances import DistanceKind, nearest_real
from ..models.latent_generator import LatentGenerator
from .figures import save_figure


@dataclass
class PathCurve:
    mean: list[float]  # [n] mean distance at each step
    low: list[float]  # [n] lower end of the 95% confidence interval of the mean
    high: list[float]
    closest_step: list[int]  # [P] step where each path comes closest to a real image
    min_distance: list[float]  # [P] that closest distance

    def to_dict(self) -> dict:
        return asdict(self)


@torch.no_grad()
def render_path_points(G: LatentGenerator, paths: torch.Tensor, noise_mode: str, batch_size: int) -> torch.Tensor:
    """Images of all path points -> [P * n, C, H, W] (row-major over pairs, then steps)."""
    if paths.dim() not in (3, 4):
        raise ValueError(f"paths must be [P, n, w_dim] (W) or [P, n, num_ws, w_dim] (W+), got {tuple(paths.shape)}")
    points = paths.flatten(0, 1)
    images = []
    for i in range(0, len(points), batch_size):
        w = points[i : i + batch_size].to(G.device)
        images.append(G.synthesize(w, noise_mode=noise_mode).clamp(-1, 1).float().cpu())
    return torch.cat(images)


def path_step_distances(
    images: torch.Tensor, num_paths: int, kind: DistanceKind, real_features: torch.Tensor, device=None
) -> torch.Tensor:
    """Nearest-real distance of each rendered path point -> [P, n]."""
    near = nearest_real(kind.features(images), real_features, kind.pairwise, device=device)
    return near.distance.view(num_paths, -1)


def summarize_path_distances(distances: torch.Tensor) -> PathCurve:
    """Mean over pairs with a normal 95% CI, and each path's closest step."""
    d = distances.double()
    if d.dim() != 2 or d.shape[0] < 1:
        raise ValueError(f"path distances must be [P, n] with P >= 1, got {tuple(d.shape)}")
    mean = d.mean(0)
    half = 1.96 * d.std(0) / d.shape[0] ** 0.5 if d.shape[0] > 1 else torch.zeros_like(mean)
    m, step = d.min(1)
    return PathCurve(mean.tolist(), (mean - half).tolist(), (mean + half).tolist(), step.tolist(), m.tolist())


def plot_path_curves(curves: dict[str, PathCurve], out_png: str | Path, distance_name: str) -> Path:
    import matplotlib  # loaded only to draw a figure, on the file-only Agg backend

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for method, c in curves.items():
        x = torch.linspace(0, 1, len(c.mean)).tolist()
        ax.plot(x, c.mean, marker="o", ms=3, label=method)
        ax.fill_between(x, c.low, c.high, alpha=0.25)
    ax.set_xlabel("position along the path (anchor a -> anchor b)")
    ax.set_ylabel(f"distance to nearest real ({distance_name})")
    # Two short lines: one long line ran off the right edge once wide tick labels pushed the axes over.
    ax.set_title("Distance to the nearest real image along the path\n(mean over pairs, 95% CI)", fontsize=11)
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, out_png)
