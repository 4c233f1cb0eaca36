"""Stage `report`: runs/<name>/report.md from the saved downstream and audit results."""
from __future__ import annotations

from ..artifacts.report_outputs import ReportOutputs
from ..pipeline.stage import Stage, StageContext


def run(ctx: StageContext) -> None:
    from ..audit.report import build_report

    path = build_report(ctx.run_dir)
    ctx.console.print(f"[bold]report[/] written to {path}")


STAGE = Stage(
    name="report",
    run=run,
    needs=("downstream", "privacy_audit"),
    config_keys=("logging",),
    outputs=ReportOutputs,
    description="paper-style table, path curve, sample grids and glossary (report.md, report/*.csv, report/*.png)",
)
