"""`privgan replicate EXP --replicates N [overrides]`: the command, from parsed arguments."""
from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console

from .internals import ConfigError, check_slurm_layout, load_stages
from .replicate_report import build_replicate_report
from .replicate_set import ReplicateSet, prepare_replicates, print_replicates
from .run_replicates import ReplicateFailed, run_replicates


def add_parser(sub) -> None:
    p = sub.add_parser("replicate", help="N whole-pipeline replicates of an experiment (own seeds for every stage "
                                         "but the shared data stage) and the report across them: "
                                         "runs/<name>-replicates/report.md")
    p.add_argument("experiment", help="experiment YAML, as for privgan run")
    p.add_argument("overrides", nargs="*", help="dot-list overrides for every replicate (seed= is the base seed)")
    p.add_argument("--replicates", type=int, default=None, metavar="N",
                   help="how many replicates (default: replicate.count of the experiment)")
    p.add_argument("--index", type=int, default=None, metavar="I",
                   help="run only replicate I (a SLURM array task: --index $SLURM_ARRAY_TASK_ID); no report")
    p.add_argument("--out", help="the replicate set's folder (default: <runs_root>/<name>-replicates)")
    p.add_argument("--base", help="base YAML (default: base.yaml beside the experiment)")
    p.add_argument("--dry-run", action="store_true", help="list the replicates with their seeds and status, run nothing")
    p.add_argument("--report-only", action="store_true", help="write the report from the replicates done so far")


def write_set_report(rs: ReplicateSet):
    done = [i for i in range(rs.count) if rs.status(i) == "done"]
    missing = [rs.replicate_dir(i).name for i in range(rs.count) if i not in done]
    return build_replicate_report(rs.folder, [rs.replicate_dir(i) for i in done], missing,
                                  title=f"{rs.experiment} ({rs.count} replicates)")


def replicate_command(args: argparse.Namespace, error_paragraph) -> int:
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
            if os.environ.get("PRIVGAN_DEBUG"):
                raise
            cause = err.__cause__ or err
            print(error_paragraph(cause, err.stage).replace("error: ", f"error: replicate {err.index}: ", 1),
                  file=sys.stderr)
            print(f"full log, with the traceback: {err.log}; run the same command again to resume", file=sys.stderr)
            return 1
        if args.index is not None:
            console.print(f"replicate {args.index} done; once every replicate is: privgan replicate {args.experiment} "
                          f"--replicates {rs.count} --report-only (with the same overrides)", soft_wrap=True)
            return 0
    path = write_set_report(rs)
    console.print(f"report across replicates written to {path}")
    return 0
