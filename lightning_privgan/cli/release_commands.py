"""`privgan export` (a release from a finished run) and `privgan verify` (a release's checksums and card)."""
from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from ..release.export import export_release
from ..release.verify import verify_release


def export(args: argparse.Namespace) -> int:
    result = export_release(Path(args.run_dir), Path(args.out), args.source, args.num, args.seed,
                            args.allow_failing, args.overwrite, console=Console(stderr=True))
    kept = "kept, marked 'fail'" if args.allow_failing else "left out"
    print(f"{result.released} {args.source} images released to {result.folder} "
          f"({result.failed} of {result.candidates} failed the privacy gate, {kept}); see RELEASE.md")
    return 0


def verify(args: argparse.Namespace) -> int:
    report = verify_release(Path(args.release_dir), Path(args.against) if args.against else None)
    for name, ok, detail in report.checks:
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""))
    holds = "the card holds" if args.against else "intact (give --against RUN_DIR to re-check the card's figures)"
    print(holds if report.ok else "the release does NOT hold: see FAIL above")
    return 0 if report.ok else 1
