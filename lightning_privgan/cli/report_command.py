"""`privgan report RUN_DIR`: rebuild a run's report.md from its saved results."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..stages.report import build_report
from ..stages.report_check import check_report_inputs


def report(args: argparse.Namespace) -> int:
    if not args.partial:
        check_report_inputs(Path(args.run_dir))  # a report that lost figures is refused, not written
    path = build_report(Path(args.run_dir), partial=args.partial)
    print(f"{'partial report' if args.partial else 'report'} written to {path}")
    return 0
