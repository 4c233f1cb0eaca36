"""Stage `identity`: φ_id, the identity network that guides the PLAN walk away from every training patient."""
from __future__ import annotations

from ..pipeline.stage import Stage
from .identity_network_stage import run_identity_stage
from .outputs import IdentityOutputs

STAGE = Stage(
    name="identity",
    run=run_identity_stage,
    needs=("data",),
    config_keys=("data", "identity"),
    description="train φ_id: one class per training patient (model.pt, identities.json, metrics.json)",
    distributed=True,  # Lightning training: every rank runs the stage, rank 0 writes
    outputs=IdentityOutputs,
)
