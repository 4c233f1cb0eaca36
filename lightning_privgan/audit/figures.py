"""Pictures of the audit: image grids (through the real-image gate) and atomic PNG writes."""
from __future__ import annotations

from pathlib import Path

import torch

from ..core.atomic import atomic_path
from .real_image_guard import check_publishable


def save_figure(fig, path: str | Path) -> Path:
    """Write a matplotlib figure as PNG atomically and close it.

    The figures lay themselves out to fit (tests/audit/test_figures_fit.py checks every one); should
    some text still stick out (a long class or distance name), the PNG grows to hold it rather
    than cut it off at the edge."""
    import matplotlib.pyplot as plt  # loaded only to draw a figure (its callers chose the Agg backend)

    path = Path(path)
    fit = {} if fits_canvas(fig) else {"bbox_inches": "tight", "pad_inches": 0.05}
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png", **fit)
    plt.close(fig)
    return path


def fits_canvas(fig) -> bool:
    """Whether everything `fig` draws lies on its canvas (a pixel of rounding allowed)."""
    box = fig.get_tightbbox(fig.canvas.get_renderer())  # inches, of every drawn artist
    w, h = fig.get_size_inches()
    slack = 1 / fig.dpi
    return box.x0 >= -slack and box.y0 >= -slack and box.x1 <= w + slack and box.y1 <= h + slack


def widen_for(fig, text, margin_in: float = 0.2) -> None:
    """Widen `fig` (keeping its height) until `text` (e.g. a title) fits across it."""
    needed = text.get_window_extent(fig.canvas.get_renderer()).width / fig.dpi + 2 * margin_in
    width, height = fig.get_size_inches()
    if needed > width:
        fig.set_size_inches(needed, height)


def image_grid(images: torch.Tensor, nrow: int = 8, pad: int = 1) -> torch.Tensor:
    """[N, C, H, W] in [-1, 1] or uint8 -> one uint8 [H', W', C] grid (C = 1 or 3)."""
    if images.dim() != 4 or images.shape[1] not in (1, 3) or len(images) == 0:
        raise ValueError(f"an image grid needs a non-empty [N, C, H, W] batch with C = 1 or 3, got {tuple(images.shape)}")
    if images.dtype != torch.uint8:
        images = images.detach().float().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)
    n, c, h, w = images.shape
    cols = min(nrow, n)
    rows = (n + cols - 1) // cols
    grid = torch.zeros(c, rows * (h + pad) + pad, cols * (w + pad) + pad, dtype=torch.uint8)
    for k in range(n):
        r, q = divmod(k, cols)
        grid[:, pad + r * (h + pad) : pad + r * (h + pad) + h, pad + q * (w + pad) : pad + q * (w + pad) + w] = images[k]
    return grid.permute(1, 2, 0)


def save_image_grid(
    images: torch.Tensor, path: str | Path, *, origin: str, allow_real_images: bool, title: str = "", nrow: int = 8
) -> Path:
    """Save a grid of images as PNG, refusing real images unless they are allowed."""
    check_publishable(origin, allow_real_images, f"image grid {Path(path).name}")
    import matplotlib  # loaded only to draw a figure, on the file-only Agg backend

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = image_grid(images, nrow)
    width = max(3.0, grid.shape[1] / 40)
    fig, ax = plt.subplots(figsize=(width, width * grid.shape[0] / grid.shape[1] + 0.4))
    ax.imshow(grid.squeeze(-1).numpy(), cmap="gray" if grid.shape[-1] == 1 else None, vmin=0, vmax=255)
    ax.set_axis_off()
    if title:
        widen_for(fig, ax.set_title(title, fontsize=9))  # a few small images under a long title
    fig.tight_layout()
    return save_figure(fig, path)
