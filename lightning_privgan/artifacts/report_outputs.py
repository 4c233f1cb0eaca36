"""Outputs of the `report` stage: report.md at the run's top level, its tables and figures in report/."""
from __future__ import annotations

from ..pipeline.stage_outputs import StageOutputs


class ReportOutputs(StageOutputs):
    stage = "report"
    REQUIRED = ("table.csv",)
