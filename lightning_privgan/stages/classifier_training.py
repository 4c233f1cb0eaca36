"""Training shared by the identity, auditor and classifier stages, and by the downstream stage.

Downstream use (synthetic training, real test):
    net, best_ckpt = train_diagnostic(ctx, synthetic_loader, real_val_loader, cfg.downstream_classifier, ...)
    figures = evaluate_diagnostic(net, test.images, test.labels, num_classes)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only
from torch.utils.data import DataLoader, Dataset

from ..data.classifier_datasets import split_identity_data
from ..data.image_dataset import ImageDataset, reseed_worker_transform
from ..data.real_store import RealData
from ..data.transforms import build_train_transform
from ..models.classifier_io import export_classifier
from ..models.classifier_metrics import evaluate_diagnostic, evaluate_identity, inverse_frequency_weights
from ..models.classifier_module import DiagnosticClassifierModule, IdentityClassifierModule, monitor_mode
from ..models.components.image_classifier import ImageClassifier
from ..pipeline.atomic import write_json_atomic
from ..pipeline.stage import StageContext
from ..pipeline.training import best_or_last_checkpoint, fit_resumable, make_trainer
from ..pipeline.world import local_device

__all__ = ["train_diagnostic", "evaluate_diagnostic", "train_identity_stage", "make_loader", "eval_device"]


def make_loader(dataset: Dataset, batch_size: int, shuffle: bool, num_workers: int, seed: int) -> DataLoader:
    generator = torch.Generator().manual_seed(seed)  # reproducible shuffling and worker seeds
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        worker_init_fn=reseed_worker_transform if num_workers > 0 else None,
        generator=generator,
        persistent_workers=False,  # fresh workers each epoch draw fresh augmentation seeds
        drop_last=False,
    )


def eval_device(ctx: StageContext) -> torch.device:
    """Where post-training evaluation runs: each rank's own GPU unless the experiment is CPU-only."""
    return local_device(ctx.cfg.trainer)


def _fit(ctx: StageContext, module: pl.LightningModule, train_loader, val_loader, cfg: Any, subdir: str,
         datamodule: pl.LightningDataModule | None = None):
    trainer = make_trainer(ctx, monitor=cfg.monitor, mode=monitor_mode(cfg.monitor), subdir=subdir,
                           max_epochs=cfg.epochs)
    if datamodule is not None:  # e.g. the WalkerDataModule: it makes its batches on the device
        fit_resumable(trainer, module, datamodule=datamodule)
    else:
        fit_resumable(trainer, module, train_dataloaders=train_loader, val_dataloaders=val_loader)
    best = best_or_last_checkpoint(trainer)
    # Our own checkpoint, written a moment ago: full unpickling is safe here.
    state = torch.load(best, map_location="cpu", weights_only=False)["state_dict"]
    module.load_state_dict(state)
    net: ImageClassifier = module.net
    return net.cpu().eval(), Path(best), trainer


def _module_kwargs(cfg: Any, channels: int, resolution: int, num_classes: int, class_weights) -> dict:
    net = dict(
        backbone=cfg.backbone, in_channels=channels, resolution=resolution, num_classes=num_classes,
        width=cfg.width, weights=cfg.weights, head=cfg.head, head_scale=cfg.head_scale,
    )
    return dict(
        net=net, lr=cfg.lr, weight_decay=cfg.weight_decay,
        class_weights=None if class_weights is None else [float(w) for w in class_weights], monitor=cfg.monitor,
    )


def train_diagnostic(
    ctx: StageContext,
    train_loader: DataLoader | None,
    val_loader: DataLoader | None,
    cfg: Any,
    num_classes: int,
    channels: int,
    resolution: int,
    subdir: str = "",
    class_weights: torch.Tensor | None = None,
    datamodule: pl.LightningDataModule | None = None,
) -> tuple[ImageClassifier, Path]:
    """Train a DiagnosticClassifierModule on any (img, label) loaders, or on a `datamodule`
    (the synthetic stream) instead; (best network in eval mode, its checkpoint).

    With cfg.class_weighting and no `class_weights`, inverse-frequency weights come from
    `train_loader.dataset.targets` when the dataset has them (real data); an endless
    synthetic stream has no label table and trains unweighted (the walker balances classes).
    """
    if cfg.class_weighting and class_weights is None:
        labels = getattr(getattr(train_loader, "dataset", None), "targets", None)
        if labels is not None:
            class_weights = inverse_frequency_weights(torch.as_tensor(labels), num_classes)
    if not cfg.class_weighting:
        class_weights = None
    pl.seed_everything(ctx.seed("init", subdir, cfg.seed_offset), workers=False, verbose=False)
    module = DiagnosticClassifierModule(**_module_kwargs(cfg, channels, resolution, num_classes, class_weights))
    net, best, _ = _fit(ctx, module, train_loader, val_loader, cfg, subdir, datamodule)
    return net, best


def _nonempty(data: RealData, split: str, why: str):
    tensors = data.split(split)
    if len(tensors) == 0:
        raise ValueError(f"the '{split}' split of the data stage is empty; {why}")
    return tensors


def train_diagnostic_stage(ctx: StageContext, cfg: Any) -> dict | None:
    """φ_class on the real train split, checkpoint chosen on val, figures on val and test
    (None on a non-zero DDP rank: it joins the fit, rank 0 evaluates and writes)."""
    data = RealData.load(ctx.input("data"))
    train = _nonempty(data, "train", "the classifier has nothing to learn from")
    val = _nonempty(data, "val", "the best checkpoint is chosen on it")
    test = data.split("test")
    seed = ctx.seed("augment", cfg.seed_offset)
    transform = build_train_transform(ctx.cfg.data.augment, data.channels, seed, cfg.augment)
    workers = ctx.cfg.data.num_workers
    train_loader = make_loader(ImageDataset(train.images, train.labels, transform), cfg.batch_size, True, workers, seed)
    val_loader = make_loader(ImageDataset(val.images, val.labels), cfg.batch_size, False, workers, seed)
    net, best = train_diagnostic(ctx, train_loader, val_loader, cfg, data.num_classes, data.channels, data.resolution)
    if rank_zero_only.rank != 0:
        return None
    device = eval_device(ctx)
    net = net.to(device)
    metrics: dict[str, Any] = {"val": evaluate_diagnostic(net, val.images, val.labels, data.num_classes)}
    metrics["test"] = evaluate_diagnostic(net, test.images, test.labels, data.num_classes) if len(test) else None
    metrics["best_checkpoint"] = best.name
    export_classifier(net.cpu(), ctx.out / "model.pt", meta={"kind": "diagnostic", "class_names": data.class_names})
    write_json_atomic(ctx.out / "metrics.json", metrics)
    return metrics


def train_identity_stage(ctx: StageContext, cfg: Any) -> dict | None:
    """φ_id (or the auditor): one class per training identity, re-identification on unseen scans
    (None on a non-zero DDP rank: it joins the fit, rank 0 evaluates and writes)."""
    data = RealData.load(ctx.input("data"))
    identities = data.train_identities()
    if len(identities) < 2:
        raise ValueError(f"the train split holds {len(identities)} identity; an identity network needs at least 2")
    seed = ctx.seed("augment", cfg.seed_offset)
    augment = ctx.cfg.data.augment
    view_transform = build_train_transform(augment, data.channels, seed + 1, "identity", ignore_enabled=True)
    split = split_identity_data(data.split("train"), identities, ctx.seed("split", cfg.seed_offset), view_transform)
    transform = build_train_transform(augment, data.channels, seed, cfg.augment)
    workers = ctx.cfg.data.num_workers
    train_set = ImageDataset(split.train_images, split.train_labels, transform)
    train_loader = make_loader(train_set, cfg.batch_size, True, workers, seed)
    val_loader = make_loader(ImageDataset(split.val_images, split.val_labels), cfg.batch_size, False, workers, seed)
    weights = inverse_frequency_weights(split.train_labels, len(identities)) if cfg.class_weighting else None
    pl.seed_everything(ctx.seed("init", cfg.seed_offset), workers=False, verbose=False)
    module = IdentityClassifierModule(
        **_module_kwargs(cfg, data.channels, data.resolution, len(identities), weights)
    )
    net, best, _ = _fit(ctx, module, train_loader, val_loader, cfg, subdir="")
    if rank_zero_only.rank != 0:
        return None
    reid = evaluate_identity(net.to(eval_device(ctx)), split.val_images, split.val_labels)
    metrics = {
        "reid_top1": reid["top1"],
        "reid_top5": reid["top5"],
        "val_protocol": split.protocol,
        "num_identities": len(identities),
        "num_train_images": len(split.train_labels),
        "num_val_images": reid["n"],
        "best_checkpoint": best.name,
    }
    export_classifier(net.cpu(), ctx.out / "model.pt", meta={"kind": ctx.name, "identities": identities})
    write_json_atomic(ctx.out / "identities.json", {"identities": identities, "heldout_rows": split.heldout_rows,
                                                     "val_protocol": split.protocol})
    write_json_atomic(ctx.out / "metrics.json", metrics)
    return metrics


def identity_stage_runner(section: str):
    """The run function of the `identity` and `auditor` stages: train from cfg.<section>, report re-identification."""

    def run(ctx: StageContext) -> None:
        metrics = train_identity_stage(ctx, ctx.cfg[section])
        if metrics is None:  # a non-zero DDP rank
            return
        ctx.console.print(
            f"[bold]{ctx.name}[/]: re-identification top-1 {metrics['reid_top1']:.3f} "
            f"({metrics['val_protocol']}, {metrics['num_identities']} identities)"
        )

    return run
