"""Phantom generation speed: `python benchmarks/bench_phantoms.py [--n 1000] [--resolution 64]`.

Target (issue "data layer"): 1,000 phantoms at 64 px in under 10 s on a 2-core CPU.
"""
from __future__ import annotations

import argparse
import time

import torch

from lightning_privgan.data.phantoms.cxr import make_cxr_phantoms
from lightning_privgan.data.phantoms.fundus import make_fundus_phantoms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="images (patients x 4 scans)")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}")
    for name, make in (("phantom_cxr", make_cxr_phantoms), ("phantom_fundus", make_fundus_phantoms)):
        times, cpu = [], []
        for repeat in range(args.repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            made = make(args.n // 4, 4, 0.5, args.resolution, seed=repeat)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        # CPU time too: on a shared machine wall time mostly measures the neighbours.
        print(
            f"{name:15s} {len(made.labels)} x {tuple(made.images.shape[1:])}: wall best {min(times):.2f} s, "
            f"worst {max(times):.2f} s; CPU {min(cpu):.2f} s ({len(made.labels) / min(times):.0f} images/s)"
        )


if __name__ == "__main__":
    main()
