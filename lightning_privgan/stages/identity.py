"""Stage `identity`: φ_id, the identity network that guides the PLAN walk away from every training patient."""
from __future__ import annotations

from ..pipeline.stage import Stage
from .classifier_training import identity_stage_runner

run = identity_stage_runner("identity")


STAGE = Stage(
    name="identity",
    run=run,
    needs=("data",),
    config_keys=("data", "identity"),
    description="train φ_id: one class per training patient (model.pt, identities.json, metrics.json)",
    distributed=True,  # Lightning training: every rank runs the stage, rank 0 writes
)
