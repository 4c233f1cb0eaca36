"""The run function shared by the `identity` (φ_id) and `auditor` stages: train an identity
network from the config section named like the stage, measure re-identification, write."""
from __future__ import annotations

from ..core.atomic import write_json_atomic
from ..metrics.classification import evaluate_identity
from ..models.classifier_io import export_classifier
from ..pipeline.stage import StageContext
from ..training.identity_training import train_identity_net


def run_identity_stage(ctx: StageContext) -> None:
    trained = train_identity_net(ctx, ctx.input("data").real(), ctx.cfg[ctx.name])
    if not ctx.is_global_zero:  # every rank joined the fit (DDP); rank 0 evaluates and writes
        return
    split = trained.split
    reid = evaluate_identity(trained.net.to(ctx.device), split.val_images, split.val_labels)
    metrics = {
        "reid_top1": reid["top1"],
        "reid_top5": reid["top5"],
        "val_protocol": split.protocol,
        "num_identities": len(trained.identities),
        "num_train_images": len(split.train_labels),
        "num_val_images": reid["n"],
        "best_checkpoint": trained.best_checkpoint.name,
    }
    out = ctx.outputs
    export_classifier(trained.net.cpu(), out.path(out.MODEL), meta={"kind": ctx.name, "identities": trained.identities})
    write_json_atomic(out.path(out.IDENTITIES), {"identities": trained.identities, "heldout_rows": split.heldout_rows,
                                                 "val_protocol": split.protocol})
    write_json_atomic(out.path(out.METRICS), metrics)
    ctx.console.print(f"[bold]{ctx.name}[/]: re-identification top-1 {metrics['reid_top1']:.3f} "
                      f"({metrics['val_protocol']}, {metrics['num_identities']} identities)")
