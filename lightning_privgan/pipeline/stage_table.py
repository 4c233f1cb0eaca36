"""The stage table: the order in which an experiment runs.

Adding a stage: write lightning_privgan/stages/<name>.py defining STAGE, add its name here.
The stages are loaded by name (they import the contract in stage.py, which reads this table:
a static import of them here would close that circle).
"""
from __future__ import annotations

import importlib

STAGE_PACKAGE = "lightning_privgan.stages"

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


def load_stages(names: tuple[str, ...] = STAGE_ORDER) -> list:
    """The `Stage` (stage.py) of each name, in order."""
    stages = []
    for name in names:
        module = importlib.import_module(f"{STAGE_PACKAGE}.{name}")
        stage = module.STAGE
        if stage.name != name:
            raise ValueError(f"{module.__name__} defines stage {stage.name!r}, expected {name!r}")
        stages.append(stage)
    return stages
