"""Stage `identity`: φ_id, the identity network that guides the PLAN walk away from every training patient."""
from __future__ import annotations

from ..pipeline.stage import Stage, StageContext
from .classifier_training import train_identity_stage


def run(ctx: StageContext) -> None:
    metrics = train_identity_stage(ctx, ctx.cfg.identity)
    ctx.console.print(
        f"[bold]identity[/]: re-identification top-1 {metrics['reid_top1']:.3f} "
        f"({metrics['val_protocol']}, {metrics['num_identities']} identities)"
    )


STAGE = Stage(
    name="identity",
    run=run,
    needs=("data",),
    config_keys=("data", "identity"),
    description="train φ_id: one class per training patient (model.pt, identities.json, metrics.json)",
    distributed=True,  # Lightning training: every rank runs the stage, rank 0 writes
)
