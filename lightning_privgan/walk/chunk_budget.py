"""How many images fit one chunk of the walker's forward + backward, from a one-image probe.

Measuring the bytes autograd saves for backward (saved_tensors_hooks) works the same on CPU
and GPU, unlike allocator statistics, and is what grows with the chunk size. Autograd also
"saves" the weights it needs for input gradients; they exist anyway and don't grow with the
chunk, so the cost of one image is the difference between probes of two images and one.

The budget itself comes from the device when the config leaves it null: on a GPU a share of
the memory that is free now, on a CPU a per-chunk working set that stays in cache (bigger chunks are
slower there: benchmarks/bench_walker.py --chunk-sweep).
"""
from __future__ import annotations

from typing import Callable

import torch

# Share of a GPU's free memory the walker may fill; the rest covers the allocator's
# fragmentation and temporaries that the saved-tensor probe cannot see.
GPU_FREE_SHARE = 0.6
# CPU, per chunk (one chunk per worker): the size that ran fastest on the 2-core machine (demo
# generator, compact 3-channel classifiers, 16 pairs x 16 points, 2 workers): 1.32 s at 128 MB
# against 1.80 at 32, 4.2 at 8, 1.39 at 256 and 1.50 at 2048 (bench_walker.py --chunk-sweep).
CPU_WORKING_SET_MB = 128.0


def _saved_bytes(render_loss: Callable[[int], torch.Tensor], n: int) -> int:
    total = 0

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        nonlocal total
        total += tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = render_loss(n)
    del loss
    return total


def saved_bytes_per_image(render_loss: Callable[[int], torch.Tensor]) -> int:
    """Bytes autograd keeps per image; `render_loss(n)` runs the forward pass of n (1 or 2) images."""
    return max(_saved_bytes(render_loss, 2) - _saved_bytes(render_loss, 1), 1)


def device_budget_mb(device: torch.device) -> float:
    """The walker's memory budget when the config gives none: sized from `device`."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return GPU_FREE_SHARE * free / 2**20
    return CPU_WORKING_SET_MB


def chunk_size_for_budget(bytes_per_image: int, budget_mb: float, limit: int) -> int:
    """Images per chunk within `budget_mb`, with 50% headroom for temporaries the probe can't see."""
    if budget_mb <= 0:
        raise ValueError(f"memory_budget_mb must be positive, got {budget_mb}")
    fits = int(budget_mb * 2**20 / (1.5 * bytes_per_image))
    return max(1, min(fits, limit))
