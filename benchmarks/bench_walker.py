"""Path-optimisation throughput: the batched walker vs one pair at a time in chunks of 4 (the reference loop).

Both optimise the same PLAN objective on the same networks (the real Generator at the
'tiny' 32 px and 'small' 64 px presets, compact ImageClassifiers as φ_id and φ_class).
Throughput = path points x optimisation steps per second. Each variant runs in its own
subprocess so that its peak resident memory (ru_maxrss) is its own.

    python benchmarks/bench_walker.py [--steps 3] [--pairs 16] [--n-steps 16] [--threads 1] [--device cpu]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

PRESETS = {"tiny": 32, "small": 64}


def build(preset: str, device: str, identities: int = 64):
    from lightning_privgan.models.components.generator import Generator
    from lightning_privgan.models.components.image_classifier import ImageClassifier
    from lightning_privgan.models.gan_presets import PRESETS as ARCH

    torch.manual_seed(0)
    res = PRESETS[preset]
    G = Generator(c_dim=2, img_resolution=res, img_channels=1, **ARCH[preset]).to(device).eval().requires_grad_(False)
    id_net = ImageClassifier("compact", 1, res, identities).to(device).eval().requires_grad_(False)
    class_net = ImageClassifier("compact", 1, res, 2).to(device).eval().requires_grad_(False)
    return G, id_net, class_net


def reference_one_pair(G, id_net, class_net, w_a, w_b, y, n_steps: int, steps: int) -> None:
    """The paper's loop for one pair: all n points, chunks of 4, sum of per-chunk means."""
    t = torch.linspace(0, 1, n_steps, device=w_a.device)[:, None]
    inner = torch.nn.Parameter(((1 - t) * w_a + t * w_b)[1:-1].clone())
    opt = torch.optim.Adam([inner], lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        path = torch.cat([w_a[None], inner, w_b[None]])
        loss = (path[1:] - path[:-1]).pow(2).sum()
        for s in range(0, n_steps, 4):
            ws = path[s:s + 4]
            img = G.synthesis(ws[:, None].expand(-1, G.mapping.num_ws, -1), noise_mode="const").clamp(-1, 1)
            logits = id_net(img)
            uniform = torch.full_like(logits, 1.0 / logits.shape[1])
            loss = loss + 0.1 * F.kl_div(F.log_softmax(logits, 1), uniform, reduction="batchmean")
            loss = loss + F.cross_entropy(class_net(img), y.expand(len(ws)))
        loss.backward()
        opt.step()


def run_variant(args) -> dict:
    from lightning_privgan.walk.paths import walk

    torch.set_num_threads(args.threads)
    G, id_net, class_net = build(args.preset, args.device)
    g = torch.Generator().manual_seed(1)
    w = torch.randn(2 * args.pairs, G.w_dim, generator=g).to(args.device)
    w_a, w_b = w[:args.pairs], w[args.pairs:]
    y = torch.randint(0, 2, (args.pairs,), generator=g).to(args.device)

    def once():
        if args.variant == "batched":
            walk(G, w_a, w_b, y, id_net, class_net, n_steps=args.n_steps, optim_steps=args.steps,
                 memory_budget_mb=args.budget_mb, autocast=args.autocast, progress=False)
        else:
            for p in range(args.pairs):
                reference_one_pair(G, id_net, class_net, w_a[p], w_b[p], y[p], args.n_steps, args.steps)
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()

    once_warm = args.steps
    args.steps = 1
    once()  # warm-up (allocator, cuDNN autotune, probe)
    args.steps = once_warm
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    once()
    seconds = time.perf_counter() - start
    out = {"variant": args.variant + ("" if args.autocast == "none" else f"+{args.autocast}"), "preset": args.preset, "seconds": seconds,
           "points_x_steps_per_s": args.pairs * args.n_steps * args.steps / seconds,
           "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if args.device.startswith("cuda"):
        out["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--n-steps", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--budget-mb", type=float, default=2048)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--presets", nargs="+", default=list(PRESETS))
    parser.add_argument("--autocast", default="none", help="walker's autocast for the batched+bf16 row")
    parser.add_argument("--variant", choices=["batched", "reference"])
    parser.add_argument("--preset", choices=list(PRESETS))
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args)))
        return
    print(f"P={args.pairs} n_steps={args.n_steps} optim_steps={args.steps} threads={args.threads} device={args.device}")
    for preset in args.presets:
        rows = {}
        for variant, autocast in (("batched", "none"), ("batched", "bf16"), ("reference", "none")):
            cmd = [sys.executable, __file__, "--variant", variant, "--autocast", autocast, "--preset", preset, "--steps", str(args.steps),
                   "--pairs", str(args.pairs), "--n-steps", str(args.n_steps), "--threads", str(args.threads),
                   "--budget-mb", str(args.budget_mb), "--device", args.device]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            rows[row["variant"]] = row
        ref = rows["reference"]["points_x_steps_per_s"]
        for name, row in rows.items():
            mem = f"{row['maxrss_mb']:.0f} MB rss" + (f", {row['cuda_peak_mb']:.0f} MB cuda" if "cuda_peak_mb" in row else "")
            print(f"{preset:>5} ({PRESETS[preset]} px) {name:>14}: {row['points_x_steps_per_s']:8.1f} path points x steps/s, "
                  f"peak {mem}, {row['points_x_steps_per_s'] / ref:.1f}x the reference")


if __name__ == "__main__":
    main()
