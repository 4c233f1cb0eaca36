"""The fastest the walker could be on this machine: its convolutions alone, run as fast as they run now.

Both walkers do the same convolutions per image and Adam step: G, φ_id and φ_class forward, and
their input-gradient backward (no weight gradients). On a CPU those run near the core's peak
already, so their time per image, shared by `--threads` workers that scale perfectly, is a floor
under any walker that computes the same function, and the paper's time over that floor is a
ceiling on the speed-up at identical arithmetic. This script records every convolution of one
walker chunk (same shapes, strides, layout and weights' layout), replays each alone, and prints:
our chunk per image-step on one thread, the convolutions alone, the paper's code per image-step
on `--threads` threads, and the two ratios against it (the ceiling; our chunk with perfect scaling).

On a GPU the workers are one (chunks run one after another) and the chunk is the walker's own,
sized from the free memory.

    python benchmarks/bench_walker_bound.py [--presets tiny] [--device cpu|cuda] [--threads 2] [--repeats 10]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_walker import PRESETS, build  # noqa: E402
from paper_reference import paper_walk, paper_walk_config  # noqa: E402

from lightning_privgan.walk.heap_reuse import reused_heap  # noqa: E402
from lightning_privgan.walk.losses import REFERENCE_CHUNK  # noqa: E402
from lightning_privgan.core.device_settings import channels_last_weights  # noqa: E402
from lightning_privgan.walk.objective import PlanObjective  # noqa: E402
from lightning_privgan.walk.paths import folded_classifiers  # noqa: E402

CONVOLUTIONS = (torch.ops.aten.convolution.default, torch.ops.aten.convolution_backward.default)


class ConvolutionRecorder(TorchDispatchMode):
    """Every convolution (forward or backward) dispatched while active, as (op, args with tensors as specs)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in CONVOLUTIONS:
            spec = [("tensor", a.shape, a.stride(), a.dtype) if isinstance(a, torch.Tensor) else a for a in args]
            self.calls.append((func, spec))
        return func(*args, **(kwargs or {}))


def _fresh(shape, stride, dtype, device) -> torch.Tensor:
    """Random values in exactly this layout, broadcast (stride-0) dimensions included."""
    storage = 1 + sum((size - 1) * step for size, step in zip(shape, stride) if size > 0)
    return torch.randn(storage, dtype=dtype, device=device).as_strided(shape, stride)


def _seconds(fn, repeats: int, device: torch.device) -> float:
    """Mean seconds of fn() after one warm-up call (oneDNN and cuDNN pick their kernels on the first)."""
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - start) / repeats


def replay_seconds(calls: list[tuple], repeats: int, device: torch.device = torch.device("cpu")) -> float:
    """Seconds of one pass over the recorded convolutions, each run alone on fresh tensors of its layout."""
    total = 0.0
    for func, spec in calls:
        args = [_fresh(*a[1:], device) if isinstance(a, tuple) and a and a[0] == "tensor" else a for a in spec]
        total += _seconds(lambda: func(*args), repeats, device)
    return total


def walker_chunk(G, id_net, class_net, repeats: int, chunk: int | None = None, pairs: int = 16,
                 n_steps: int = 16) -> tuple[float, int, list[tuple]]:
    """(seconds per image of one walker chunk, its size, the convolutions it ran).

    The chunk is the one the walker itself cuts for `pairs` paths of `n_steps` points on this
    device (walk/chunk_budget.py), unless `chunk` is given.
    """
    device = next(G.parameters()).device
    labels = torch.arange(pairs, device=device) % 2
    objective = PlanObjective(G, id_net, class_net, labels, paper_walk_config(n_steps, 0), REFERENCE_CHUNK, workers=1)
    g = torch.Generator().manual_seed(3)
    inner = torch.randn(pairs, n_steps - 2, G.w_dim, generator=g).to(device)
    chunk = chunk or objective._chunk_size(inner, pairs * (n_steps - 2))
    w = inner.flatten(0, 1)[:chunk]
    point_labels = labels.repeat_interleave(n_steps - 2)[:chunk]
    weight = objective.point_weight.to(device).repeat(pairs)[:chunk]
    seconds = _seconds(lambda: objective._chunk_gradient(w, point_labels, weight), repeats, device) / chunk
    with ConvolutionRecorder() as recorder:
        objective._chunk_gradient(w, point_labels, weight)
    return seconds, chunk, recorder.calls


def paper_per_image(G, id_net, class_net, pairs: int, n_steps: int, steps: int) -> float:
    """Seconds per inner image and Adam step of the paper's code (one pair at a time)."""
    device = next(G.parameters()).device
    g = torch.Generator().manual_seed(4)
    w = torch.randn(2 * pairs, G.w_dim, generator=g).to(device)

    def all_pairs():
        for p in range(pairs):
            paper_walk(G, w[p], w[pairs + p], p % 2, id_net, class_net, n_steps, steps)

    return _seconds(all_pairs, 1, device) / (pairs * (n_steps - 2) * steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["tiny"], choices=list(PRESETS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2,
                        help="CPU cores: the paper's threads and our workers (a GPU runs one chunk at a time)")
    parser.add_argument("--chunk", type=int, default=None,
                        help="images per walker chunk (default: what the walker cuts on this device for 16 x 16)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=4, help="pairs of the paper's code timed")
    parser.add_argument("--n-steps", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    device = torch.device(args.device)
    cpu = device.type == "cpu"
    workers = args.threads if cpu else 1
    torch.backends.cudnn.benchmark = True
    for preset in args.presets:
        G, id_net, class_net = build(preset, args.device)
        torch.set_num_threads(args.threads)
        paper = paper_per_image(G, id_net, class_net, args.pairs, args.n_steps, args.steps)
        torch.set_num_threads(1 if cpu else args.threads)  # a CPU worker walks its chunk on one thread
        folded = folded_classifiers(G, id_net, class_net, torch.randn(2, G.w_dim, device=device))
        with channels_last_weights(G, *folded), reused_heap(enabled=cpu):
            ours, chunk, calls = walker_chunk(G, *folded, args.repeats, args.chunk)
            convs = replay_seconds(calls, args.repeats, device) / chunk
        forward = sum(func is CONVOLUTIONS[0] for func, _ in calls)
        where = f"{args.threads} perfectly scaling workers" if cpu else "one chunk at a time"
        print(f"{preset} ({PRESETS[preset][0]} px) on {args.device}, chunk of {chunk}, {len(calls)} convolutions "
              f"({forward} forward, {len(calls) - forward} input-gradient):")
        print(f"  our chunk: {ours * 1e3:.2f} ms per image-step{' on one thread' if cpu else ''}; its convolutions "
              f"alone {convs * 1e3:.2f} ms ({convs / ours:.0%})")
        print(f"  the paper's code: {paper * 1e3:.2f} ms per image-step" + (f" on {args.threads} threads" if cpu else ""))
        print(f"  ceiling at identical arithmetic ({where}, convolutions only): {paper / (convs / workers):.2f}x; "
              f"our chunk{' with perfect scaling' if cpu else ''}: {paper / (ours / workers):.2f}x")


if __name__ == "__main__":
    main()
