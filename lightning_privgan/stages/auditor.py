"""Stage `auditor`: an identity network independent of φ_id (own seed, backbone, augmentation),
used only by the privacy audit so that the walk is not judged by its own guide."""
from __future__ import annotations

from ..pipeline.stage import Stage
from .identity_network_stage import run_identity_stage
from .outputs import AuditorOutputs

STAGE = Stage(
    name="auditor",
    run=run_identity_stage,
    needs=("data",),
    config_keys=("data", "auditor"),
    description="train the audit identity network (model.pt, identities.json, metrics.json)",
    distributed=True,  # Lightning training: every rank runs the stage, rank 0 writes
    outputs=AuditorOutputs,
)
