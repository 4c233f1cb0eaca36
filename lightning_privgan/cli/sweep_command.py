"""`privgan sweep RUN_DIR`: the privacy–utility grid over a finished run or a replicate set."""
from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from ..replicate.sweep_replicates import is_replicate_set, sweep_replicate_set
from ..stages import load_stages
from ..sweep.grid import DEFAULT_LAMBDA_PRIV, DEFAULT_OPTIM_STEPS, expand_grid, parse_lambdas, parse_steps
from ..sweep.run_sweep import CellFailed, prepare_sweep, print_grid, run_sweep, write_report
from .messages import print_unit_failed


def sweep(args: argparse.Namespace) -> int:
    console = Console()
    lambdas = parse_lambdas(args.lambda_priv) if args.lambda_priv is not None else DEFAULT_LAMBDA_PRIV
    steps = parse_steps(args.optim_steps) if args.optim_steps is not None else DEFAULT_OPTIM_STEPS
    grid = expand_grid(lambdas, steps)
    try:
        if is_replicate_set(Path(args.run_dir)):  # runs/<name>-replicates: every replicate, each cell across them
            path = sweep_replicate_set(Path(args.run_dir), grid, args.out, args.overrides, load_stages(), console,
                                       args.dry_run, args.report_only)
            if path is not None:
                console.print(f"sweep across replicates written to {path}")
            return 0
        setup = prepare_sweep(Path(args.run_dir), grid, args.out, args.overrides, load_stages())
        print_grid(setup, console)
        if args.dry_run:
            return 0
        path = write_report(setup, console) if args.report_only else run_sweep(setup, console)
    except CellFailed as err:
        return print_unit_failed(f"sweep cell {err.cell.name}", err, err.stage, err.log)
    console.print(f"sweep report written to {path}; `privgan report {args.run_dir}` links it from the run's report")
    return 0
