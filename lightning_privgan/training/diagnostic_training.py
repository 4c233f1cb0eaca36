"""Diagnostic classifiers: φ_class on the real train split, and the downstream/shadow models on any source.

    net, best_ckpt = train_diagnostic(ctx, synthetic_loader, real_val_loader, cfg, num_classes, channels, resolution)
    figures = evaluate_diagnostic(net, test.images, test.labels, num_classes)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from ..data.image_dataset import ImageDataset
from ..data.real_store import RealData
from ..data.transforms import build_train_transform
from ..metrics.classification import inverse_frequency_weights
from ..models.classifier_module import DiagnosticClassifierModule
from ..models.components.image_classifier import ImageClassifier
from .classifier_networks import build_classifier_net, module_options
from .context import TrainingContext
from .fit_classifier import fit_classifier
from .loaders import make_loader


def train_diagnostic(
    ctx: TrainingContext,
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
    net = build_classifier_net(cfg, channels, resolution, num_classes)
    module = DiagnosticClassifierModule(net, **module_options(cfg, class_weights))
    return fit_classifier(ctx, module, cfg, subdir, train_loader, val_loader, datamodule)


def train_on_real_split(ctx: TrainingContext, data: RealData, cfg: Any) -> tuple[ImageClassifier, Path]:
    """φ_class: trained on the real train split, its checkpoint chosen on the real val split."""
    train, val = data.split("train"), data.split("val")
    for name, split, why in (("train", train, "the classifier has nothing to learn from"),
                             ("val", val, "the best checkpoint is chosen on it")):
        if len(split) == 0:
            raise ValueError(f"the '{name}' split of the data stage is empty; {why}")
    seed = ctx.seed("augment", cfg.seed_offset)
    transform = build_train_transform(ctx.cfg.data.augment, data.channels, seed, cfg.augment)
    workers = ctx.cfg.data.num_workers
    train_loader = make_loader(ImageDataset(train.images, train.labels, transform), cfg.batch_size, True, workers, seed)
    val_loader = make_loader(ImageDataset(val.images, val.labels), cfg.batch_size, False, workers, seed)
    return train_diagnostic(ctx, train_loader, val_loader, cfg, data.num_classes, data.channels, data.resolution)
