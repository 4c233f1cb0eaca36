"""The stage table: the order in which an experiment runs.

Adding a stage: write lightning_privgan/stages/<name>.py defining STAGE, add its name here.
"""
from __future__ import annotations

import importlib

from ..pipeline.stage import Stage

STAGE_ORDER = (
    "data",
    "gan",
    "identity",
    "auditor",
    "class_guide",
    "anchors",
    "walk",
    "downstream",
    "privacy_audit",
    "report",
)


def load_stages(names: tuple[str, ...] = STAGE_ORDER) -> list[Stage]:
    stages = []
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        stage = module.STAGE
        if stage.name != name:
            raise ValueError(f"{module.__name__} defines stage {stage.name!r}, expected {name!r}")
        stages.append(stage)
    return stages
