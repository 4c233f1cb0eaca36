"""The upstream stages one after another against side by side (trainer.parallel_stages), on one
machine, one after the other in this script, same experiment and overrides.

    python benchmarks/side_by_side_stages.py experiments/demo.yaml [overrides] [--until anchors]
                                             [--runs-root /tmp/side_by_side]

Runs the stages up to --until (default anchors: those that read only the data stage or gan,
where side by side pays) twice, each in a fresh run folder: trainer.parallel_stages=1, then null
(one stage per thread). Prints each stage's recorded seconds, each run's wall time and the ratio.
The two runs' results are not bit-equal unless the machine has one thread: side by side, a stage
gets its share of the threads.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from lightning_privgan.pipeline.stage_table import STAGE_ORDER


def run_once(experiment: str, overrides: list[str], slots: str, until: str, root: Path) -> dict:
    name = f"side_by_side_{slots}"
    shutil.rmtree(root / name, ignore_errors=True)
    stages = STAGE_ORDER[:STAGE_ORDER.index(until) + 1]
    cmd = [sys.executable, "-m", "lightning_privgan", "run", experiment, *overrides, f"name={name}",
           f"runs_root={root}", f"trainer.parallel_stages={slots}", "trainer.progress_bar=false"]
    for stage in stages:
        cmd += ["--only", stage]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    seconds = {s: json.loads((root / name / s / "stage.json").read_text())["seconds"] for s in stages}
    return {"wall_s": wall, "stages": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment")
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--until", default="anchors", choices=STAGE_ORDER)
    parser.add_argument("--runs-root", type=Path, default=Path("/tmp/side_by_side"))
    args = parser.parse_args()
    rows = {slots: run_once(args.experiment, args.overrides, slots, args.until, args.runs_root)
            for slots in ("1", "null")}
    names = list(rows["1"]["stages"])
    print("| stage | one after another, s | side by side, s |")
    print("|---|---|---|")
    for stage in names:
        print(f"| {stage} | {rows['1']['stages'][stage]:.1f} | {rows['null']['stages'][stage]:.1f} |")
    one, side = rows["1"]["wall_s"], rows["null"]["wall_s"]
    print(f"| **wall time of the command** | **{one:.1f}** | **{side:.1f}** |")
    print(f"\nside by side: {one / side:.2f}x faster")


if __name__ == "__main__":
    main()
