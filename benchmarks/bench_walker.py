"""The batched PLAN walker against the paper's walker (its semantics: benchmarks/paper_reference.py),
same generator, same classifiers, same pairs, float32.

Presets: tiny (the demo's 32 px generator, compact 3-channel φ_id/φ_class), small (64 px) and
paper (256 px, ResNet-18 φ_id with 300 identities and φ_class; for GPUs). Each variant runs in
its own subprocess, so its peak memory (ru_maxrss, or CUDA's peak) is its own. Prints per preset:
seconds, throughput (path points x steps per second), peak memory, the speed-up over the paper's
code for float32 and for bf16 autocast, and the largest |path difference| to the paper's paths.
The walker keeps freed memory in the heap while it walks (walk/heap_reuse.py), which the
paper's code does not; the 'paper+heap' row runs the paper's code with the same allocator
setting, so the ratio against it is the walker's own part of the speed-up.
Float32 paths differ from run to run of *any* implementation: Adam turns round-off in near-zero
gradient coordinates into lr-sized steps. So exactness is shown in float64 (--parity-steps,
2 pairs), and the float32 'noise floor' row is our walker against itself with NCHW convolutions.

    python benchmarks/bench_walker.py [--presets tiny] [--pairs 16] [--n-steps 16] [--steps 5] [--threads 2]
                                      [--device cpu|cuda] [--chunk-sweep]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

# (side, generator preset, classifier backbone, identities)
PRESETS = {"tiny": (32, "tiny", "compact", 64), "small": (64, "small", "compact", 64),
           "paper": (256, "paper", "resnet18", 300)}


def build(preset: str, device: str):
    from lightning_privgan.models.stylegan2.networks import Generator
    from lightning_privgan.models.components.image_classifier import ImageClassifier
    from lightning_privgan.models.stylegan2.presets import PRESETS as ARCH

    side, arch, backbone, identities = PRESETS[preset]
    torch.manual_seed(0)
    G = Generator(c_dim=2, img_resolution=side, img_channels=1, **ARCH[arch])
    # The paper repeats grayscale to 3 channels, so its classifiers take RGB.
    id_net = ImageClassifier(backbone, 3, side, identities, head="cosine")
    class_net = ImageClassifier(backbone, 3, side, 2)
    return [m.to(device).eval().requires_grad_(False) for m in (G, id_net, class_net)]


def run_variant(args) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from paper_reference import paper_walk, paper_walk_config

    from lightning_privgan.walk.heap_reuse import reused_heap
    from lightning_privgan.walk.paths import walk

    torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = True
    cuda = args.device.startswith("cuda")
    G, id_net, class_net = build(args.preset, args.device)
    g = torch.Generator().manual_seed(1)
    w = G.mapping(torch.randn(2 * args.pairs, G.z_dim, generator=g).to(args.device),
                  torch.eye(2, device=args.device)[torch.arange(2 * args.pairs) % 2])[:, 0].detach()
    w_a, w_b = w[:args.pairs], w[args.pairs:]
    y = (torch.arange(args.pairs) % 2).to(args.device)

    def once(steps: int) -> torch.Tensor:
        if args.variant in ("paper", "paper+heap"):
            with reused_heap(enabled=args.variant == "paper+heap"):
                paths = torch.stack([paper_walk(G, w_a[p], w_b[p], int(y[p]), id_net, class_net, args.n_steps, steps)[0]
                                     for p in range(args.pairs)])
        else:
            cfg = paper_walk_config(args.n_steps, steps, memory_budget_mb=args.budget_mb, autocast=args.autocast,
                                    channels_last=not args.nchw)
            paths = walk(G, w_a, w_b, y, cfg, id_net, class_net, progress=False)
        if cuda:
            torch.cuda.synchronize()
        return paths

    once(1)  # warm-up: allocator, cuDNN autotuning, the walker's memory probe
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    paths = once(args.steps)
    seconds = time.perf_counter() - start
    torch.save(paths.cpu(), args.paths_out)
    out = {"variant": args.variant + ("" if args.autocast == "none" else f"+{args.autocast}"), "seconds": seconds,
           "throughput": args.pairs * args.n_steps * args.steps / seconds,
           "peak_mb": (torch.cuda.max_memory_allocated() if cuda else
                       resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024) / 2**20}
    if cuda:
        out["device_name"] = torch.cuda.get_device_name()
    return out


def float64_parity(preset: str, device: str, n_steps: int, steps: int) -> float:
    """Largest |path difference| of our walker against the paper's, 2 pairs, float64."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from paper_reference import paper_walk, paper_walk_config

    from lightning_privgan.walk.paths import walk

    G, id_net, class_net = [m.double() for m in build(preset, device)]
    g = torch.Generator().manual_seed(2)
    w = torch.randn(4, G.w_dim, generator=g, dtype=torch.float64).to(device)
    y = torch.tensor([0, 1], device=device)
    ours = walk(G, w[:2], w[2:], y, paper_walk_config(n_steps, steps), id_net, class_net, progress=False)
    return max((ours[p] - paper_walk(G, w[p], w[2 + p], int(y[p]), id_net, class_net, n_steps, steps)[0]).abs().max().item()
               for p in range(2))


def _variant(args, preset: str, variant: str, autocast: str = "none", budget_mb: float | None = None,
             nchw: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        paths_out = Path(tmp) / "paths.pt"
        cmd = [sys.executable, __file__, "--variant", variant, "--autocast", autocast, "--preset", preset,
               "--steps", str(args.steps), "--pairs", str(args.pairs), "--n-steps", str(args.n_steps),
               "--threads", str(args.threads), "--device", args.device, "--paths-out", str(paths_out)]
        if budget_mb is not None:
            cmd += ["--budget-mb", str(budget_mb)]
        if nchw:
            cmd += ["--nchw"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{variant} ({preset}) failed:\n{proc.stderr[-3000:]}")
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["paths"] = torch.load(paths_out)
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5, help="Adam steps timed (after a 1-step warm-up)")
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--n-steps", type=int, default=16, help="points per path, endpoints included")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budget-mb", type=float, default=None, help="walker memory budget (default: from the device)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--presets", nargs="+", default=["tiny"], choices=list(PRESETS))
    parser.add_argument("--chunk-sweep", action="store_true", help="also time the walker at several memory budgets")
    parser.add_argument("--parity-steps", type=int, default=5, help="Adam steps of the float64 parity check (0: skip)")
    parser.add_argument("--nchw", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--variant", choices=["batched", "paper", "paper+heap"], help=argparse.SUPPRESS)
    parser.add_argument("--autocast", default="none", help=argparse.SUPPRESS)
    parser.add_argument("--preset", choices=list(PRESETS), help=argparse.SUPPRESS)
    parser.add_argument("--paths-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args)))
        return
    print(f"{args.pairs} pairs x {args.n_steps} points x {args.steps} Adam steps, float32, "
          f"{args.threads} threads, device {args.device}")
    for preset in args.presets:
        paper = _variant(args, preset, "paper")
        rows = [paper, _variant(args, preset, "paper+heap"), _variant(args, preset, "batched", budget_mb=args.budget_mb),
                _variant(args, preset, "batched", "bf16", budget_mb=args.budget_mb)]
        floor = dict(_variant(args, preset, "batched", budget_mb=args.budget_mb, nchw=True), variant="batched NCHW")
        if args.chunk_sweep:
            rows += [dict(_variant(args, preset, "batched", budget_mb=mb), variant=f"batched@{mb:g}MB")
                     for mb in (8, 16, 32, 64, 128, 512, 4096)]
        side = PRESETS[preset][0]
        if "device_name" in paper:
            print(f"card: {paper['device_name']}")
        for row in rows:
            diff = (row["paths"] - paper["paths"]).abs().max().item()
            print(f"{preset:>5} ({side} px) {row['variant']:>16}: {row['seconds']:7.2f} s, "
                  f"{row['throughput']:8.1f} path points x steps/s, peak {row['peak_mb']:7.0f} MB, "
                  f"{paper['seconds'] / row['seconds']:5.2f}x the paper's code, max |path diff| {diff:.1e}")
        print(f"{preset:>5} ({side} px) batched vs paper+heap (the same allocator setting): "
              f"{rows[1]['seconds'] / rows[2]['seconds']:.2f}x")
        print(f"{preset:>5} ({side} px) float32 noise floor: our walker NHWC vs NCHW max |path diff| "
              f"{(floor['paths'] - rows[2]['paths']).abs().max().item():.1e}")
        if args.parity_steps:
            worst = float64_parity(preset, args.device, args.n_steps, args.parity_steps)
            print(f"{preset:>5} ({side} px) float64 parity, 2 pairs x {args.parity_steps} steps: max |path diff| {worst:.1e}")


if __name__ == "__main__":
    main()
