"""A finite synthetic data set on disk: PNG files plus manifest.csv (path, label, pair, step).

Written into a temporary sibling folder and renamed into place, so a crash never leaves a
half-written set that a later run would trust.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from ..data.real_store import to_uint8


def export_synthetic_set(folder: str | Path, images: torch.Tensor, labels: torch.Tensor, pair_idx: torch.Tensor,
                         step_pos: torch.Tensor) -> Path:
    """Write images [N, C, H, W] in [-1, 1] as folder/images/{i:06d}.png and folder/manifest.csv."""
    folder = Path(folder)
    n = len(images)
    if not (len(labels) == len(pair_idx) == len(step_pos) == n):
        raise ValueError(f"export needs one label, pair and step per image; got {n} images, {len(labels)} labels, "
                         f"{len(pair_idx)} pairs, {len(step_pos)} steps")
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be [N, 1|3, H, W], got {tuple(images.shape)}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        (tmp / "images").mkdir()
        pixels = to_uint8(images.cpu()).permute(0, 2, 3, 1).numpy()
        paths = []
        for i, img in enumerate(pixels):
            rel = f"images/{i:06d}.png"
            Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(tmp / rel)
            paths.append(rel)
        pd.DataFrame({"path": paths, "label": labels.cpu().numpy().astype(np.int64),
                      "pair": pair_idx.cpu().numpy().astype(np.int64),
                      "step": step_pos.cpu().numpy().astype(np.float64)}).to_csv(tmp / "manifest.csv", index=False)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return folder


def load_synthetic_set(folder: str | Path) -> tuple[torch.Tensor, pd.DataFrame]:
    """(images float [N, C, H, W] in [-1, 1], manifest) of an exported set."""
    folder = Path(folder)
    manifest = pd.read_csv(folder / "manifest.csv")
    arrays = [np.asarray(Image.open(folder / p)) for p in manifest["path"]]
    stacked = torch.from_numpy(np.stack(arrays))
    stacked = stacked.unsqueeze(1) if stacked.dim() == 3 else stacked.permute(0, 3, 1, 2)
    return stacked.float().div(127.5).sub(1.0), manifest
