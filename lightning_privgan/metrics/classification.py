"""Metrics of the classifiers, class weights, and evaluation of a trained network on tensors.

torchmetrics' MulticlassAccuracy defaults to *macro* averaging while Accuracy(task=...)
defaults to micro, so every `average=` is written out. Binary tasks use the multiclass
metrics with 2 classes: macro AUROC over {0, 1} equals the binary AUROC because
p(0) = 1 - p(1).
"""
from __future__ import annotations

import torch
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassAUROC,
    MulticlassCohenKappa,
    MulticlassF1Score,
)

DIAGNOSTIC_METRICS = ("acc", "macro_acc", "auroc", "f1", "kappa")
IDENTITY_METRICS = ("acc", "top5")
# Images per evaluation forward pass when the caller gives none. Peak memory follows the batch,
# not the split: at 128 px RGB one compact-CNN batch of 256 held ~0.4 GB more than a batch of
# 64, which a split of 60 images never reaches and one of 300 does (benchmarks/bench_data_memory.py).
# The stages pass their own training batch size, so evaluation never outgrows training.
EVAL_BATCH = 64


def diagnostic_metrics(num_classes: int, prefix: str = "") -> MetricCollection:
    metrics: dict[str, nn.Module] = {
        "acc": MulticlassAccuracy(num_classes, average="micro"),
        "macro_acc": MulticlassAccuracy(num_classes, average="macro"),
        "auroc": MulticlassAUROC(num_classes, average="macro"),
        "f1": MulticlassF1Score(num_classes, average="macro"),
    }
    if num_classes > 2:
        # Ordinal grades (DR 0-4): a 0->4 mistake must cost more than 0->1.
        metrics["kappa"] = MulticlassCohenKappa(num_classes, weights="quadratic")
    return MetricCollection(metrics, prefix=prefix)  # type: ignore[arg-type]


def identity_metrics(num_classes: int, prefix: str = "") -> MetricCollection:
    """Re-identification: top-1 (micro, every image counts once) and top-5 accuracy."""
    return MetricCollection(
        {
            "acc": MulticlassAccuracy(num_classes, average="micro"),
            "top5": MulticlassAccuracy(num_classes, average="micro", top_k=min(5, num_classes)),
        },
        prefix=prefix,
    )


def inverse_frequency_weights(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """w_c = N / (K * n_c): a balanced data set gets all ones; rare classes weigh more."""
    labels = torch.as_tensor(labels).long().flatten()
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes - 1}], found [{labels.min()}, {labels.max()}]")
    counts = torch.bincount(labels, minlength=num_classes).float()
    empty = (counts == 0).nonzero().flatten().tolist()
    if empty:
        raise ValueError(
            f"class(es) {empty} have no training images, so inverse-frequency weights are undefined; "
            "fix the data or set class_weighting: false"
        )
    return counts.sum() / (num_classes * counts)


@torch.no_grad()
def predict_logits(model: nn.Module, images: torch.Tensor, batch_size: int = EVAL_BATCH) -> torch.Tensor:
    """Logits of `model` (kept in eval mode) over `images` in [-1, 1], batch by batch, on CPU."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = [model(images[i : i + batch_size].to(device)).float().cpu() for i in range(0, len(images), batch_size)]
    model.train(was_training)
    return torch.cat(out)


def evaluate_diagnostic(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, num_classes: int, batch_size: int = EVAL_BATCH
) -> dict[str, float]:
    """acc, macro_acc, auroc, f1 (+ quadratic kappa for > 2 classes) and n, e.g. on the real test split."""
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if len(images) == 0:
        raise ValueError("cannot evaluate on an empty set of images")
    logits = predict_logits(model, images, batch_size)
    metrics = diagnostic_metrics(num_classes)
    result = metrics(logits.softmax(dim=1), torch.as_tensor(labels).long())
    return {**{k: float(v) for k, v in result.items()}, "n": int(len(labels))}


def evaluate_identity(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = EVAL_BATCH) -> dict:
    """Re-identification top-1 / top-5 of an identity network on labelled images."""
    if len(images) == 0:
        raise ValueError("cannot evaluate re-identification on an empty set of images")
    logits = predict_logits(model, images, batch_size)
    result = identity_metrics(logits.shape[1])(logits, torch.as_tensor(labels).long())
    return {"top1": float(result["acc"]), "top5": float(result["top5"]), "n": int(len(labels))}
