"""`privgan replicate EXP --replicates N [overrides]`: run the replicates, then the report across them."""
from __future__ import annotations

import argparse
import os

from rich.console import Console

from ..config.errors import ConfigError
from ..pipeline.cluster import check_slurm_layout
from ..replicate.replicate_report import write_set_report
from ..replicate.replicate_set import prepare_replicates, print_replicates
from ..replicate.run_replicates import ReplicateFailed, run_replicates
from ..stages import load_stages
from .messages import print_unit_failed


def replicate(args: argparse.Namespace) -> int:
    console = Console()
    rs = prepare_replicates(args.experiment, args.replicates, args.overrides, load_stages(), args.out, args.base)
    if args.index is not None and not 0 <= args.index < rs.count:
        raise ConfigError(f"Configuration error on the command line: --index {args.index} is outside 0..{rs.count - 1} "
                          f"(--replicates {rs.count})")
    check_slurm_layout(rs.configs[0])
    os.environ.setdefault("PRIVGAN_DEVICES", str(rs.configs[0].trainer.devices))
    indices = None if args.index is None else [args.index]
    print_replicates(rs, console, indices)
    if args.dry_run:
        return 0
    if not args.report_only:
        try:
            run_replicates(rs, console, indices)
        except ReplicateFailed as err:
            return print_unit_failed(f"replicate {err.index}", err, err.stage, err.log)
        if args.index is not None:
            console.print(f"replicate {args.index} done; once every replicate is: privgan replicate {args.experiment} "
                          f"--replicates {rs.count} --report-only (with the same overrides)", soft_wrap=True)
            return 0
    path = write_set_report(rs)
    console.print(f"report across replicates written to {path}")
    return 0
