"""Stage `auditor`: an identity network independent of φ_id (own seed, backbone, augmentation),
used only by the privacy audit so that the walk is not judged by its own guide."""
from __future__ import annotations

from ..pipeline.stage import Stage, StageContext
from .classifier_training import train_identity_stage


def run(ctx: StageContext) -> None:
    metrics = train_identity_stage(ctx, ctx.cfg.auditor)
    ctx.console.print(
        f"[bold]auditor[/]: re-identification top-1 {metrics['reid_top1']:.3f} "
        f"({metrics['val_protocol']}, {metrics['num_identities']} identities)"
    )


STAGE = Stage(
    name="auditor",
    run=run,
    needs=("data",),
    config_keys=("data", "auditor"),
    description="train the audit identity network (model.pt, identities.json, metrics.json)",
    distributed=True,  # Lightning training: every rank runs the stage, rank 0 writes
)
