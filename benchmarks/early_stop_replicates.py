"""The walk's early stop against its fixed budget, over whole-pipeline replicates.

    python benchmarks/early_stop_replicates.py runs/demo-replicates-steps300-early runs/demo-replicates-steps300-fixed

Both folders are sweeps of the same replicate set with one cell each (`privgan sweep
runs/<name>-replicates --lambda-priv 1 --optim-steps 300 --out <early>`, and the same with
`walk.early_stop_patience=0 --out <fixed>`), so each replicate's two cells share G, φ_id, the
auditor, φ_class, the anchors and every seed: they differ only in when the walk stops. For every
replicate finished in both, the script reads the cell's PLAN row of report/table.csv and its
walk (pair-steps taken, from paths.pt's step logs, and the stage's seconds), prints one Markdown
row per replicate and figure, then fixed − early with Student's t interval over the replicates
(the yardstick the issue asks for: a figure the early stop changes would show an interval away
from 0), beside the accuracy's own seed std (the spread of one run's three downstream seeds).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from lightning_privgan.replicate.statistics import t_interval
from lightning_privgan.stages.outputs import RunFolder
from lightning_privgan.walk.paths import pair_steps_taken

FIGURES = {  # report/table.csv column: what it is
    "acc_mean": "accuracy (mean of 3 seeds)",
    "auditor_near_duplicate_rate": "near-duplicate rate, auditor",
    "l2_near_duplicate_rate": "near-duplicate rate, L2",
    "ssim_near_duplicate_rate": "near-duplicate rate, SSIM",
    "auditor_mean_min": "auditor distance to the closest real image",
    "l2_mean_min": "L2 distance to the closest real image",
    "attack_auc": "release attack AUC (the table's distance)",
}


def _cell(replicate: Path) -> Path | None:
    """The replicate's one finished cell (its report written), or None (none, or no such folder)."""
    if not replicate.is_dir():
        return None
    cells = [c for c in sorted(replicate.iterdir()) if (c / "report" / "table.csv").is_file()]
    if len(cells) > 1:
        raise SystemExit(f"{replicate} holds {len(cells)} finished cells; give sweeps of one cell each")
    return cells[0] if cells else None


def _figures(cell: Path) -> dict:
    table = pd.read_csv(cell / "report" / "table.csv").set_index("source")
    if "plan" not in table.index:
        raise SystemExit(f"{cell / 'report' / 'table.csv'} has no PLAN row")
    row = {key: float(table.loc["plan", key]) for key in FIGURES}
    row["acc_std"] = float(table.loc["plan", "acc_std"])
    walk = RunFolder(cell).stage("walk")
    row["pair_steps"] = pair_steps_taken(walk.paths()["losses"]["plan"])
    row["walk_s"] = walk.read_json("stage.json")["seconds"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("early", type=Path, help="the sweep folder of the early-stopped walk")
    parser.add_argument("fixed", type=Path, help="the sweep folder of the fixed budget")
    args = parser.parse_args()
    rows = {}
    for replicate in sorted(p for p in args.early.iterdir() if p.is_dir() and p.name.startswith("r")):
        early, fixed = _cell(replicate), _cell(args.fixed / replicate.name)
        if early and fixed:
            rows[replicate.name] = (_figures(early), _figures(fixed))
    if len(rows) < 2:
        raise SystemExit(f"{len(rows)} replicate(s) finished in both {args.early} and {args.fixed}: "
                         "an interval over replicates needs at least 2")
    names = list(rows)
    print("| figure (PLAN) | " + " | ".join(f"{n} early / fixed" for n in names) + " | fixed − early, 95 % t-interval |")
    print("|---|" + "---|" * (len(names) + 1))
    for key, label in {"pair_steps": "pair-steps taken", "walk_s": "walk stage, s", **FIGURES}.items():
        cells = [f"{e[key]:.4g} / {f[key]:.4g}" for e, f in rows.values()]
        diff = t_interval([f[key] - e[key] for e, f in rows.values()])
        star = " *" if diff.significant else ""
        print(f"| {label} | " + " | ".join(cells) + f" | {diff.mean:+.4f} [{diff.low:+.4f}, {diff.high:+.4f}]{star} |")
    seed_std = sum(e["acc_std"] + f["acc_std"] for e, f in rows.values()) / (2 * len(rows))
    print(f"\n{len(rows)} replicates; accuracy's seed std (mean over the cells): {seed_std:.3f}; "
          "* the interval excludes 0.")


if __name__ == "__main__":
    main()
