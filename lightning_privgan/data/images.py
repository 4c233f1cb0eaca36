"""Decoding image files (and resizing image arrays) into uint8 [C, H, W] at the configured size."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from .errors import BadImageError


def _center_square(img: Image.Image) -> Image.Image:
    w, h = img.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    return img.crop((left, top, left + side, top + side))


def decode_image(path: str, channels: int, resolution: int) -> np.ndarray:
    """One file -> uint8 [C, resolution, resolution]: center-crop to square, antialiased resize."""
    try:
        with Image.open(path) as img:
            # draft() lets the JPEG decoder downscale by 2^k while decoding: much faster for
            # full-size fundus photographs, and the final resize below still antialiases.
            img.draft("RGB" if channels == 3 else "L", (resolution, resolution))
            img = img.convert("RGB" if channels == 3 else "L")
            img = _center_square(img).resize((resolution, resolution), Image.Resampling.LANCZOS)
            arr = np.asarray(img, dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as err:
        raise BadImageError(str(path), f"{type(err).__name__}: {err}") from None
    return arr[None] if channels == 1 else arr.transpose(2, 0, 1)


@dataclass
class DecodedFiles:
    images: torch.Tensor  # uint8 [K, C, H, W] for the files that decoded
    kept: np.ndarray  # bool [N]: which of the given paths are in `images`
    bad: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of skipped files


def decode_files(
    paths: Sequence[str],
    channels: int,
    resolution: int,
    on_bad_image: str = "error",
    num_threads: int = 1,
    progress: Callable[[int], None] | None = None,
) -> DecodedFiles:
    """Decode many files; `on_bad_image='skip'` drops undecodable ones and lists them in `bad`.

    PIL releases the GIL while decoding and resizing, so threads give a real speed-up.
    """

    def one(path: str):
        try:
            return decode_image(path, channels, resolution), None
        except BadImageError as err:
            if on_bad_image != "skip":
                raise
            return None, err.reason

    results = []
    with ThreadPoolExecutor(max_workers=max(1, num_threads)) as pool:
        for result in pool.map(one, paths):
            results.append(result)
            if progress is not None:
                progress(1)
    kept = np.array([arr is not None for arr, _ in results], dtype=bool)
    bad = [(str(p), reason) for p, (arr, reason) in zip(paths, results) if arr is None]
    arrays = [arr for arr, _ in results if arr is not None]
    images = (
        torch.from_numpy(np.stack(arrays))
        if arrays
        else torch.zeros((0, channels, resolution, resolution), dtype=torch.uint8)
    )
    return DecodedFiles(images=images, kept=kept, bad=bad)


def convert_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """uint8 [N, C, H, W] -> `channels` channels (ITU-R 601 luma for colour -> grey, as PIL does)."""
    have = images.shape[1]
    if have == channels:
        return images
    if have == 1 and channels == 3:
        return images.expand(-1, 3, -1, -1).contiguous()
    if have == 3 and channels == 1:
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        grey = (images.float() * weights).sum(1, keepdim=True)
        return grey.round().clamp(0, 255).to(torch.uint8)
    raise ValueError(f"cannot convert {have}-channel images to {channels} channels")


def resize_array(images: torch.Tensor, resolution: int, chunk: int = 1024) -> torch.Tensor:
    """uint8 [N, C, h, w] (square) -> uint8 [N, C, resolution, resolution], antialiased.

    Used for images that arrive as arrays (MedMNIST at 28 px); chunked to bound memory.
    """
    if images.shape[-1] == resolution and images.shape[-2] == resolution:
        return images
    out = []
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk].float()
        # bicubic overshoots at edges: clamp before casting back to uint8.
        part = F.interpolate(part, size=(resolution, resolution), mode="bicubic", antialias=True, align_corners=False)
        out.append(part.round().clamp(0, 255).to(torch.uint8))
    return torch.cat(out) if out else images.new_zeros((0, images.shape[1], resolution, resolution))
