"""The fastest the walker could be on this machine: its convolutions alone, run as fast as they run now.

Both walkers do the same convolutions per image and Adam step: G, φ_id and φ_class forward, and
their input-gradient backward (no weight gradients). On a CPU those run near the core's peak
already, so their time per image, shared by `--threads` workers that scale perfectly, is a floor
under any walker that computes the same function, and the paper's time over that floor is a
ceiling on the speed-up at identical arithmetic. This script records every convolution of one
walker chunk (same shapes, strides, layout and weights' layout), replays each alone, and prints:
our chunk per image-step on one thread, the convolutions alone, the paper's code per image-step
on `--threads` threads, and the two ratios against it (the ceiling; our chunk with perfect scaling).

    python benchmarks/bench_walker_bound.py [--presets tiny] [--threads 2] [--repeats 10]
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
from paper_reference import paper_walk  # noqa: E402

from lightning_privgan.walk.heap_reuse import reused_heap  # noqa: E402
from lightning_privgan.walk.objective import PlanObjective, PlanWeights, channels_last_weights  # noqa: E402
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


def _fresh(shape, stride, dtype) -> torch.Tensor:
    """Random values in exactly this layout, broadcast (stride-0) dimensions included."""
    storage = 1 + sum((size - 1) * step for size, step in zip(shape, stride) if size > 0)
    return torch.randn(storage, dtype=dtype).as_strided(shape, stride)


def replay_seconds(calls: list[tuple], repeats: int) -> float:
    """Seconds of one pass over the recorded convolutions, each run alone on fresh tensors of its layout."""
    total = 0.0
    for func, spec in calls:
        args = [_fresh(*a[1:]) if isinstance(a, tuple) and a and a[0] == "tensor" else a for a in spec]
        func(*args)  # warm-up: oneDNN builds its primitive on the first call
        start = time.perf_counter()
        for _ in range(repeats):
            func(*args)
        total += (time.perf_counter() - start) / repeats
    return total


def chunk_objective(G, id_net, class_net, chunk: int, n_steps: int = 16) -> tuple[PlanObjective, torch.Tensor, torch.Tensor]:
    """The walker's objective and one chunk of inner-point latents with their weights (one thread, like each worker)."""
    labels = torch.arange(chunk) % 2
    objective = PlanObjective(G, id_net, class_net, labels, n_steps, PlanWeights(), "w", "const", True, None, 4,
                              workers=1)
    g = torch.Generator().manual_seed(3)
    w = torch.randn(chunk, G.w_dim, generator=g)
    weight = objective.point_weight.repeat(chunk // len(objective.point_weight) + 1)[:chunk]
    return objective, w, weight


def walker_chunk(G, id_net, class_net, chunk: int, repeats: int) -> tuple[float, list[tuple]]:
    """(seconds per image of one walker chunk on one thread, the convolutions it ran)."""
    objective, w, weight = chunk_objective(G, id_net, class_net, chunk)
    labels = objective.labels
    objective._chunk_gradient(w, labels, weight)  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        objective._chunk_gradient(w, labels, weight)
    seconds = (time.perf_counter() - start) / repeats / chunk
    with ConvolutionRecorder() as recorder:
        objective._chunk_gradient(w, labels, weight)
    return seconds, recorder.calls


def paper_per_image(G, id_net, class_net, threads: int, pairs: int, n_steps: int, steps: int) -> float:
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(4)
    w = torch.randn(2 * pairs, G.w_dim, generator=g)
    paper_walk(G, w[0], w[1], 0, id_net, class_net, n_steps, 1)  # warm-up
    start = time.perf_counter()
    for p in range(pairs):
        paper_walk(G, w[p], w[pairs + p], p % 2, id_net, class_net, n_steps, steps)
    return (time.perf_counter() - start) / (pairs * (n_steps - 2) * steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["tiny"], choices=list(PRESETS))
    parser.add_argument("--threads", type=int, default=2, help="cores: the paper's threads and our workers")
    parser.add_argument("--chunk", type=int, default=20, help="images per walker chunk (the CPU default gives 20 on the demo)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=4, help="pairs of the paper's code timed")
    parser.add_argument("--n-steps", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    for preset in args.presets:
        G, id_net, class_net = build(preset, "cpu")
        paper = paper_per_image(G, id_net, class_net, args.threads, args.pairs, args.n_steps, args.steps)
        torch.set_num_threads(1)
        folded = folded_classifiers(G, id_net, class_net, torch.randn(2, G.w_dim))
        with channels_last_weights(G, *folded), reused_heap():
            ours, calls = walker_chunk(G, *folded, args.chunk, args.repeats)
            convs = replay_seconds(calls, args.repeats) / args.chunk
        forward = sum(func is CONVOLUTIONS[0] for func, _ in calls)
        print(f"{preset} ({PRESETS[preset][0]} px), chunk of {args.chunk}, {len(calls)} convolutions "
              f"({forward} forward, {len(calls) - forward} input-gradient):")
        print(f"  our chunk: {ours * 1e3:.2f} ms per image-step on one thread; its convolutions alone "
              f"{convs * 1e3:.2f} ms ({convs / ours:.0%})")
        print(f"  the paper's code: {paper * 1e3:.2f} ms per image-step on {args.threads} threads")
        print(f"  ceiling at identical arithmetic ({args.threads} perfectly scaling workers, convolutions only): "
              f"{paper / (convs / args.threads):.2f}x; our chunk with perfect scaling: {paper / (ours / args.threads):.2f}x")


if __name__ == "__main__":
    main()
