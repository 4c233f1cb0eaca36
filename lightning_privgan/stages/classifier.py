"""Stage `classifier`: φ_class, the diagnostic network that keeps a PLAN path in its class."""
from __future__ import annotations

from ..pipeline.stage import Stage, StageContext
from .classifier_training import train_diagnostic_stage


def run(ctx: StageContext) -> None:
    metrics = train_diagnostic_stage(ctx, ctx.cfg.classifier)
    if metrics is None:  # a non-zero DDP rank
        return
    for split in ("val", "test"):
        if metrics[split] is not None:
            figures = ", ".join(f"{k} {v:.3f}" for k, v in metrics[split].items() if k != "n")
            ctx.console.print(f"[bold]classifier[/] {split}: {figures}")


STAGE = Stage(
    name="classifier",
    run=run,
    needs=("data",),
    config_keys=("data", "classifier"),
    description="train φ_class on the real train split (model.pt, metrics.json with val and test figures)",
    distributed=True,  # Lightning training: every rank runs the stage, rank 0 writes
)
