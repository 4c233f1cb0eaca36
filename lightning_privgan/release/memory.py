"""How many images one export can hold, checked before anything is drawn.

An export keeps every drawn image until the release is written: its latent, its 8-bit pixels
(and their key in the exact-copy guard), the kept images as floats for FD/KID, and a manifest
row; the float images themselves are made and measured a chunk at a time. `--num 100000000`
would otherwise die in a 25 GB allocation (or take the machine's swap) with a traceback.
"""
from __future__ import annotations

from pathlib import Path

from ..config.errors import RefusedError

# Bytes per pixel value held per image: uint8 pixels, their copy as a guard key, the kept images
# as float32 for FD/KID, and the kept pixels written out.
BYTES_PER_VALUE = 1 + 1 + 4 + 1
BYTES_PER_ROW = 512  # manifest row, per-image figures, gate reasons, Python object overhead


def available_memory() -> int | None:
    """Bytes the kernel says a new allocation can take without swapping (MemAvailable); None unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def bytes_per_image(image_shape: tuple[int, ...], latent_values: int) -> int:
    values = 1
    for d in image_shape:
        values *= int(d)
    return values * BYTES_PER_VALUE + 4 * int(latent_values) + BYTES_PER_ROW


def check_export_fits(num: int, image_shape: tuple[int, ...], latent_values: int,
                      available: int | None = None) -> None:
    """Refuse (RefusedError) an export whose images would not fit in the memory available now."""
    available = available_memory() if available is None else available
    if available is None:
        return
    per_image = bytes_per_image(image_shape, latent_values)
    need = num * per_image
    if need > available:
        fits = available // per_image
        shape = "×".join(str(int(d)) for d in image_shape)
        raise RefusedError(
            f"export --num {num:,} would hold about {_size(need)} in memory ({shape} images with their latents and "
            f"figures, all kept until the release is written), more than the {_size(available)} available; about "
            f"{fits:,} images fit here: lower --num (or export several releases with different --seed)")
