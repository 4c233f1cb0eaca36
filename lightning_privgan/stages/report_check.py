"""Whether `privgan report RUN` may rebuild a run's report.md from what the run holds now.

A report rebuilt while privacy_audit is missing (an interrupted audit), outdated (the walk
re-ran with other settings) or being written (a run in progress) would replace the figures of
a good report with blanks or mix two settings' results. It is refused, naming the stage, unless
the user asks for a partial report (`--partial`), which says on its first line what it lacks.
"""
from __future__ import annotations

from pathlib import Path

from ..config.errors import ConfigError, RefusedError
from ..pipeline.run_lock import lock_holder
from ..pipeline.run_state import stages_not_current
from ..pipeline.stage_table import load_stages
from .outputs import AuditOutputs, DownstreamOutputs

# What the report reads, and the file that holds each stage's figures.
REPORT_READS = {"downstream": DownstreamOutputs.SUMMARY, "privacy_audit": AuditOutputs.AUDIT}
PARTIAL_HINT = "--partial writes a report of the results there are, marked partial"


def missing_results(run_dir: Path) -> list[tuple[str, str]]:
    """(stage, why) of what the report reads that is absent or not current: by the runner's records
    when config.yaml loads as a config, by the files alone otherwise (a folder of saved results)."""
    run_dir = Path(run_dir)
    if (run_dir / "config.yaml").is_file():
        try:
            return stages_not_current(run_dir, load_stages(), REPORT_READS)
        except ConfigError:
            pass  # written by another version: fall back on the files
    return [(stage, "no results yet") for stage, name in REPORT_READS.items() if not (run_dir / stage / name).is_file()]


def check_report_inputs(run_dir: Path) -> None:
    """Refuse (RefusedError, naming the stage) a report of a run in progress or with missing or
    outdated downstream / privacy_audit results; report.md is left as it is."""
    if not Path(run_dir).is_dir():
        raise FileNotFoundError(f"run folder {run_dir} does not exist")
    holder = lock_holder(run_dir)
    if holder is not None:
        raise RefusedError(f"{run_dir} is in progress (process {holder.get('pid', '?')} on host "
                           f"{holder.get('host', '?')} holds its lock): its report stage writes report.md when it "
                           f"finishes; report.md was left as it is ({PARTIAL_HINT})")
    missing = missing_results(run_dir)
    if missing:
        listing = ", ".join(f"{stage} ({why})" for stage, why in missing)
        raise RefusedError(f"{run_dir}: stage '{missing[0][0]}' has no current results, so the report would show "
                           f"blanks or figures of other settings: {listing}; report.md was left as it is. Finish the "
                           f"run first (privgan run with its experiment; --dry-run lists what it would run), or "
                           f"{PARTIAL_HINT}")


def partial_lines(run_dir: Path) -> list[str]:
    """The partial report's warning, first thing in report.md (empty when nothing is missing)."""
    missing = missing_results(run_dir)
    if not missing:
        return []
    listing = ", ".join(f"{stage} ({why})" for stage, why in missing)
    return [f"> **Partial report**: written with `--partial` while these stages had no current results: {listing}. "
            "Their figures are blank or belong to other settings.", ""]
