"""Decoding image files (and resizing image arrays) into uint8 [C, H, W] at the configured size."""
from __future__ import annotations

import errno
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


# Single-channel modes deeper than 8 bits: PIL's convert("L") clips them, so a 16-bit X-ray
# would come out almost white. They are scaled by their bit depth instead (see _scaled_grey).
_DEEP_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def _scaled_grey(img: Image.Image, path: str) -> Image.Image:
    """A 16-bit, 32-bit integer or float image -> mode "F" with values in 0..255.

    16-bit (and 32-bit integer images holding 16-bit values, as some decoders return
    16-bit PNGs) are scaled by 255/65535; float images must lie in [0, 1] and are scaled by
    255. Anything else has no known bit depth and is a bad image rather than a guess.
    """
    arr = np.asarray(img)
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
    if img.mode == "F":
        if not np.isfinite(arr).all() or lo < 0 or hi > 1:
            raise BadImageError(str(path), f"float image with values in [{lo:g}, {hi:g}]; float images must lie in [0, 1]")
        scaled = arr.astype(np.float32) * 255.0
    else:
        if lo < 0 or hi > 65535:
            raise BadImageError(str(path), f"32-bit integer image with values in [{lo:g}, {hi:g}]; "
                                           "integer images deeper than 8 bits must be 16-bit (0..65535)")
        scaled = arr.astype(np.float32) * (255.0 / 65535.0)
    return Image.fromarray(scaled, mode="F")


def _decode(path: str, channels: int, resolution: int, min_side: int) -> tuple[np.ndarray, set[str]]:
    """(uint8 [C, resolution, resolution], notes): notes holds "upscaled" and/or "alpha_dropped"."""
    notes: set[str] = set()
    try:
        with Image.open(path) as img:
            w, h = img.size
            if min(w, h) < min_side:
                raise BadImageError(str(path), f"image is {w}x{h} pixels, smaller than data.min_side={min_side}")
            if min(w, h) < resolution:
                notes.add("upscaled")
            if img.mode in _ALPHA_MODES or (img.mode == "P" and "transparency" in img.info):
                notes.add("alpha_dropped")
            if img.mode in _DEEP_MODES:
                img = _scaled_grey(img, path)
            else:
                # draft() lets the JPEG decoder downscale by 2^k while decoding: much faster for
                # full-size fundus photographs, and the final resize below still antialiases.
                img.draft("RGB" if channels == 3 else "L", (resolution, resolution))
                img = img.convert("RGB" if channels == 3 else "L")
            img = _center_square(img).resize((resolution, resolution), Image.Resampling.LANCZOS)
            arr = (np.clip(np.rint(np.asarray(img)), 0, 255).astype(np.uint8) if img.mode == "F"
                   else np.asarray(img, dtype=np.uint8))
    except Image.DecompressionBombError as err:  # not an OSError: PIL's guard against huge images
        raise BadImageError(str(path), f"DecompressionBombError: {err}") from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as err:
        if isinstance(err, BadImageError):
            raise
        if getattr(err, "errno", None) == errno.ELOOP:
            raise BadImageError(str(path), "symbolic link loop (following the link leads back to it)") from None
        raise BadImageError(str(path), f"{type(err).__name__}: {err}") from None
    if arr.ndim == 2 and channels == 3:  # a deep grey image read for a colour data set
        arr = np.repeat(arr[..., None], 3, axis=2)
    return (arr[None] if channels == 1 else arr.transpose(2, 0, 1)), notes


def decode_image(path: str, channels: int, resolution: int, min_side: int) -> np.ndarray:
    """One file -> uint8 [C, resolution, resolution]: center-crop to square, antialiased resize."""
    return _decode(path, channels, resolution, min_side)[0]


@dataclass
class DecodedFiles:
    images: torch.Tensor  # uint8 [K, C, H, W] for the files that decoded
    kept: np.ndarray  # bool [N]: which of the given paths are in `images`
    bad: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of skipped files
    notes: dict[str, list[str]] = field(default_factory=dict)  # "upscaled"/"alpha_dropped" -> files


def decode_files(
    paths: Sequence[str],
    channels: int,
    resolution: int,
    *,
    on_bad_image: str,
    min_side: int,
    num_threads: int = 1,
    progress: Callable[[int], None] | None = None,
) -> DecodedFiles:
    """Decode many files; `on_bad_image='skip'` drops undecodable ones and lists them in `bad`.

    PIL releases the GIL while decoding and resizing, so threads give a real speed-up.
    """

    def one(path: str):
        try:
            arr, notes = _decode(path, channels, resolution, min_side)
            return arr, None, notes
        except BadImageError as err:
            if on_bad_image != "skip":
                raise
            return None, err.reason, set()

    results = []
    with ThreadPoolExecutor(max_workers=max(1, num_threads)) as pool:
        for result in pool.map(one, paths):
            results.append(result)
            if progress is not None:
                progress(1)
    kept = np.array([arr is not None for arr, _, _ in results], dtype=bool)
    bad = [(str(p), reason) for p, (arr, reason, _) in zip(paths, results) if arr is None]
    notes: dict[str, list[str]] = {}
    for p, (_, _, file_notes) in zip(paths, results):
        for note in sorted(file_notes):
            notes.setdefault(note, []).append(str(p))
    arrays = [arr for arr, _, _ in results if arr is not None]
    images = (
        torch.from_numpy(np.stack(arrays))
        if arrays
        else torch.zeros((0, channels, resolution, resolution), dtype=torch.uint8)
    )
    return DecodedFiles(images=images, kept=kept, bad=bad, notes=notes)


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
