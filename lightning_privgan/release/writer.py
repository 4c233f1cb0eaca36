"""Writes a release folder: images, manifest.csv, release.json, RELEASE.md, checksums.sha256.

Everything is written into a temporary sibling folder and swapped in only when complete, so
a crash leaves either the old release or the new one, never a mix.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import pandas as pd
import torch
from PIL import Image

from .card import render_card
from .checksums import write_checksums

IMAGES, MANIFEST, RELEASE_JSON, CARD = "images", "manifest.csv", "release.json", "RELEASE.md"


def image_name(i: int) -> str:
    return f"{IMAGES}/{i:06d}.png"


def _write_png(pixels: torch.Tensor, path: Path) -> None:
    """pixels uint8 [C, H, W]."""
    array = pixels.permute(1, 2, 0).numpy()
    Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array).save(path)


def write_release(target: Path, images_uint8: torch.Tensor, manifest: pd.DataFrame, release: dict,
                  on_image: Callable[[], None] | None = None) -> Path:
    """`on_image` is called after each PNG (a progress bar)."""
    if images_uint8.dtype != torch.uint8 or len(images_uint8) != len(manifest):
        raise ValueError(f"a release needs one uint8 image per manifest row, got {len(images_uint8)} "
                         f"{images_uint8.dtype} images and {len(manifest)} rows")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp's folder is private (0700); a release is meant to be read by others
    old = None
    try:
        (tmp / IMAGES).mkdir()
        for pixels, rel in zip(images_uint8, manifest["path"]):
            _write_png(pixels, tmp / rel)
            if on_image is not None:
                on_image()
        manifest.to_csv(tmp / MANIFEST, index=False)
        (tmp / RELEASE_JSON).write_text(json.dumps(release, indent=2, sort_keys=False) + "\n")
        (tmp / CARD).write_text(render_card(release))
        write_checksums(tmp)
        if target.exists():  # the caller checked it may be replaced (release/target.py)
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            os.replace(target, old / "previous")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
        if old is not None:
            if not target.exists():  # the swap failed half-way: put the previous folder back
                os.replace(old / "previous", target)
            shutil.rmtree(old, ignore_errors=True)
    return target
