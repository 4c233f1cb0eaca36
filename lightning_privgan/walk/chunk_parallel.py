"""Image chunks of the walk in parallel on a CPU: one chunk per core, one thread per chunk.

The walker's convolutions are small (16-512 channels, a few dozen images). Spread over the
cores by OpenMP inside each op, they wait at a barrier after every op; run side by side as
whole chunks, one per core, each core works uninterrupted. ATen releases the GIL inside ops,
so Python threads suffice. Each chunk writes only its own rows of the gradient, so the result
does not depend on the number of workers or on their timing.
"""
from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator, Sequence, TypeVar

import torch

T = TypeVar("T")


@contextlib.contextmanager
def intra_op_threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def map_chunks(fn: Callable[[slice], T], slices: Sequence[slice], workers: int) -> list[T]:
    """[fn(s) for s in slices], `workers` chunks at a time, each on one intra-op thread."""
    if workers <= 1 or len(slices) <= 1:
        return [fn(s) for s in slices]
    with intra_op_threads(1), ThreadPoolExecutor(max_workers=min(workers, len(slices))) as pool:
        return list(pool.map(fn, slices))


def default_workers(device: torch.device) -> int:
    """Chunks in flight: one per intra-op thread on a CPU; a GPU takes one big chunk at a time."""
    return torch.get_num_threads() if device.type == "cpu" else 1
