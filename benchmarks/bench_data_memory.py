"""Peak resident memory of the data stage and of one classifier epoch, against data set size.

    python benchmarks/bench_data_memory.py [--sizes 400 2000] [--resolution 128] [--source phantom_fundus]

The defaults keep `make bench` to a few minutes; the issue's figures (docs/performance.md) come from
`--sizes 2000 10000 --resolution 256` (about an hour on 2 cores).

For each size, the data stage (phantom set of `size` RGB images, 2 scans per patient,
written to the lazily read image store) and then the classifier stage (compact CNN, one
epoch, evaluation on val and test) run as `privgan run ... --only <stage>`, each in a
fresh process that reports its own peak RSS (ru_maxrss; DataLoader workers 0, so no
child holds memory). Pages read through the OS page cache are not the process's and are
not counted: that is the point of reading the store with pread (data/image_store.py).
The figure that matters is the growth between sizes: the issue allows 300 MB from
2,000 to 10,000 images.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ALLOWED_GROWTH_MB = 300


def overrides(size: int, resolution: int, source: str, runs_root: Path) -> list[str]:
    classes = {"phantom_fundus": ("5", "[no_dr,mild,moderate,severe,proliferative]"),
               "phantom_cxr": ("2", "[normal,disease]")}[source]
    return [
        f"name=mem_{size}", f"runs_root={runs_root}", f"data.source={source}", "data.channels=3",
        f"data.resolution={resolution}", f"data.num_classes={classes[0]}", f"data.class_names={classes[1]}",
        f"data.phantom.num_patients={size // 2}", "data.phantom.scans_per_patient=2", "data.num_workers=0",
        "classifier.backbone=compact", "classifier.width=8", "classifier.epochs=1", "classifier.batch_size=64",
        "trainer.accelerator=cpu", "trainer.progress_bar=false", "logger.wandb.enabled=false",
    ]


def worker(stage: str, args: list[str]) -> None:
    """In a fresh process: run one stage, print its peak RSS as JSON on the last line."""
    from lightning_privgan.cli import main

    started = time.time()
    code = main(["run", str(REPO / "experiments" / "demo.yaml"), "--only", stage, *args])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(json.dumps({"stage": stage, "exit": code, "peak_rss_mb": round(peak_mb, 1),
                      "seconds": round(time.time() - started, 1)}))


def measure(stage: str, args: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "WANDB_MODE": "offline", "NO_ALBUMENTATIONS_UPDATE": "1",
           "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, __file__, "--worker", stage, "--", *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"the {stage} stage failed (exit {done.returncode})")
    result = json.loads(lines[-1])
    if result["exit"] != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"the {stage} stage exited with {result['exit']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 2000])
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--source", default="phantom_fundus", choices=["phantom_fundus", "phantom_cxr"])
    parser.add_argument("--runs-root", type=Path, default=REPO / "runs" / "bench_data_memory")
    parser.add_argument("--keep", action="store_true", help="keep the run folders (several GB at 10,000 images)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, [a for a in args.rest if a != "--"])
        return

    rows = []
    for size in args.sizes:
        stage_args = overrides(size, args.resolution, args.source, args.runs_root)
        data = measure("data", stage_args)
        store = args.runs_root / f"mem_{size}" / "data" / "images.u8"
        store_mb = store.stat().st_size / 2**20
        clf = measure("class_guide", stage_args)
        rows.append((size, data, clf, store_mb))
        print(f"{size} images: data {data['peak_rss_mb']:.0f} MB ({data['seconds']:.0f} s), classifier epoch "
              f"{clf['peak_rss_mb']:.0f} MB ({clf['seconds']:.0f} s), store {store_mb:.0f} MB", flush=True)
        if not args.keep:
            shutil.rmtree(args.runs_root / f"mem_{size}", ignore_errors=True)

    print(f"\n{args.source}, {args.resolution} px RGB, peak RSS per stage (MB)")
    print("| images | image store on disk | data stage | classifier (1 epoch + eval) |")
    print("| --- | --- | --- | --- |")
    for size, data, clf, store_mb in rows:
        print(f"| {size:,} | {store_mb:,.0f} | {data['peak_rss_mb']:,.0f} | {clf['peak_rss_mb']:,.0f} |")
    if len(rows) > 1:
        growth = {k: rows[-1][i]["peak_rss_mb"] - rows[0][i]["peak_rss_mb"] for k, i in (("data", 1), ("classifier", 2))}
        verdict = "within" if max(growth.values()) <= ALLOWED_GROWTH_MB else "OVER"
        print(f"growth {rows[0][0]:,} -> {rows[-1][0]:,} images: data {growth['data']:+.0f} MB, classifier "
              f"{growth['classifier']:+.0f} MB ({verdict} the {ALLOWED_GROWTH_MB} MB allowed)")
        if verdict == "OVER":
            raise SystemExit(1)


if __name__ == "__main__":
    main()
