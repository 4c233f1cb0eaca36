"""The stages of an experiment, one module each; their order is the table in pipeline/stage_table.py."""
from __future__ import annotations

from ..pipeline.stage_table import STAGE_ORDER, load_stages

__all__ = ["STAGE_ORDER", "load_stages"]
