"""Stage `class_guide`: φ_class, the diagnostic network that keeps a PLAN path in its class."""
from __future__ import annotations

from ..core.atomic import write_json_atomic
from ..metrics.classification import evaluate_diagnostic
from ..models.classifier_io import export_classifier
from ..pipeline.stage import Stage, StageContext
from ..training.diagnostic_training import train_on_real_split
from .outputs import ClassifierOutputs


def run(ctx: StageContext) -> None:
    data = ctx.input("data").real()
    net, best = train_on_real_split(ctx, data, ctx.cfg.classifier)
    if not ctx.is_global_zero:  # every rank joined the fit (DDP); rank 0 evaluates and writes
        return
    net = net.to(ctx.device)
    val, test = data.split("val"), data.split("test")
    batch = ctx.cfg.classifier.batch_size  # read and forward in training-sized batches: memory independent of the split
    metrics = {"val": evaluate_diagnostic(net, val.images, val.labels, data.num_classes, batch),
               "test": evaluate_diagnostic(net, test.images, test.labels, data.num_classes, batch) if len(test) else None,
               "best_checkpoint": best.name}
    out = ctx.outputs
    export_classifier(net.cpu(), out.path(out.MODEL), meta={"kind": "diagnostic", "class_names": data.class_names})
    write_json_atomic(out.path(out.METRICS), metrics)
    for split in ("val", "test"):
        if metrics[split] is not None:
            figures = ", ".join(f"{k} {v:.3f}" for k, v in metrics[split].items() if k != "n")
            ctx.console.print(f"[bold]classifier[/] {split}: {figures}")


STAGE = Stage(
    name="class_guide",
    run=run,
    needs=("data",),
    config_keys=("data", "classifier"),
    description="train φ_class on the real train split (model.pt, metrics.json with val and test figures)",
    distributed=True,  # Lightning training: every rank runs the stage, rank 0 writes
    outputs=ClassifierOutputs,
)
