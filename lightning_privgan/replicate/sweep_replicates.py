"""`privgan sweep runs/<name>-replicates`: the sweep of every replicate, and each cell across them.

Each replicate is swept as a finished run (sweep/run_sweep.py's cells) into <out>/rXX/<cell>/;
then every cell gets the report across replicates over its replicates' cell folders,
<out>/<cell>/report.md, and <out>/sweep.md lists each cell's pooled PLAN − linear verdicts.
One replicate's own single-run sweep table: privgan sweep <set>/rXX --out <out>/rXX --report-only.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import pandas as pd
from rich.console import Console

from .internals import sweep_folder, sweep_runner, write_text_atomic
from .replicate_report import build_replicate_report
from .replicate_set import RECORD_FILE


def is_replicate_set(folder: Path) -> bool:
    return (Path(folder) / RECORD_FILE).is_file()


def _replicate_dirs(set_folder: Path) -> list[Path]:
    record = json.loads((set_folder / RECORD_FILE).read_text())
    return [set_folder / r["folder"] for r in record["replicates"]]


def sweep_replicate_set(set_folder: Path, cells, out: Path | None, overrides: Sequence[str], stages, console: Console,
                        dry_run: bool = False, report_only: bool = False) -> Path | None:
    """Check every replicate and cell first (prepare_sweep), then sweep the replicates in turn;
    the path of <out>/sweep.md (None for a dry run)."""
    set_folder = Path(set_folder)
    out = Path(out) if out else sweep_folder(set_folder)
    setups = [sweep_runner.prepare_sweep(r, cells, out / r.name, overrides, stages) for r in _replicate_dirs(set_folder)]
    for setup in setups:
        sweep_runner.print_grid(setup, console)
    if dry_run:
        return None
    if not report_only:
        for setup in setups:
            for cell in setup.cells:
                sweep_runner.run_cell(setup, cell, console)
    lines = [f"# Sweep across {len(setups)} replicates of {set_folder.name}", "",
             "Each cell's report across replicates (pooled PLAN − linear, hierarchical bootstrap): ", "",
             "| cell | replicates | figure | pooled PLAN − linear [95% CI] | verdict |", "|---|---|---|---|---|"]
    for cell in cells:
        finished = [s for s in setups if sweep_runner.cell_status(s, cell) == "done"]
        done = [s.cell_dir(cell) for s in finished]
        missing = [s.finished_run.name for s in setups if sweep_runner.cell_status(s, cell) != "done"]
        if not done:
            lines.append(f"| {cell.name} | 0 | — | — | not run yet |")
            continue
        build_replicate_report(out / cell.name, done, missing, title=f"sweep cell {cell.name} across replicates",
                               labels=[s.finished_run.name for s in finished],
                               baselines=[s.finished_run for s in finished])
        pooled = pd.read_csv(out / cell.name / "report" / "paired.csv").query("level == 'pooled'")
        for _, p in pooled.iterrows():
            lines.append(f"| [{cell.name}]({cell.name}/report.md) | {len(done)} | {p['figure']} | "
                         f"{p['mean']:+.4f} [{p['low']:+.4f}, {p['high']:+.4f}] | {p['verdict']} |")
    path = out / "sweep.md"
    write_text_atomic(path, "\n".join(lines) + "\n")
    return path
