"""Keep freed activation memory in the process's heap while walking on a CPU (glibc only).

Every image chunk of the walk allocates tens of MB of activations and frees them after its
backward pass. glibc hands blocks above its mmap threshold (128 KB, adapting up to 32 MB)
straight back to the kernel and trims the heap top above its trim threshold (128 KB), so the
next chunk writes to fresh pages and pays a page fault (and the kernel's zeroing) per 4 KB:
50-70 thousand minor faults per Adam step on the demo (tiny preset, 16 pairs x 16 points),
about a fifth of the walk (4.2 s against 5.3 s for 5 steps, one thread, loaded machine). Raising both
thresholds for the walk keeps those pages in the heap for the next chunk. mallopt cannot
switch glibc's adaptive thresholds back on, so afterwards both are left at the top of glibc's
own adaptive range (mmap 32 MB, trim 64 MB: never stingier than the defaults, so code that
runs after a walk in the same process, the paper's walker in a comparison say, is not slowed)
and malloc_trim returns what the walk held.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from typing import Iterator

# mallopt parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# The largest mmap threshold glibc accepts on 64-bit (HEAP_MAX_SIZE / 2), which its adaptive
# threshold also never exceeds: blocks up to 32 MB (a 16-image 32 px chunk's largest
# activation is 4 MB) come from the heap and are reused.
WALK_MMAP_THRESHOLD = 32 * 2**20
# After the walk: glibc's adaptive trim threshold follows 2x the mmap threshold.
AFTER_TRIM_THRESHOLD = 2 * WALK_MMAP_THRESHOLD
# Freed heap kept rather than returned while walking: the working sets of a few chunks.
WALK_TRIM_THRESHOLD = 1 * 2**30


def _glibc() -> ctypes.CDLL | None:
    """The C library if it is glibc (has mallopt and malloc_trim), else None (musl, macOS, Windows)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    if not (hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") and hasattr(libc, "gnu_get_libc_version")):
        return None
    return libc


def heap_reuse_available() -> bool:
    return _glibc() is not None


@contextlib.contextmanager
def reused_heap(enabled: bool = True) -> Iterator[bool]:
    """Within the block, freed memory stays in the heap; yields whether the setting took effect.

    Process-wide while it lasts (mallopt has no per-thread form); a no-op where the C library
    is not glibc. On exit: the trim threshold down to 64 MB (module docstring) and
    malloc_trim(0) releases the kept pages.
    """
    libc = _glibc() if enabled else None
    if libc is None:
        yield False
        return
    ok = bool(libc.mallopt(M_MMAP_THRESHOLD, WALK_MMAP_THRESHOLD)) and bool(
        libc.mallopt(M_TRIM_THRESHOLD, WALK_TRIM_THRESHOLD))
    try:
        yield ok
    finally:
        libc.mallopt(M_TRIM_THRESHOLD, AFTER_TRIM_THRESHOLD)
        libc.malloc_trim(0)
