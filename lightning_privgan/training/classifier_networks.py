"""The network of a classifier section (identity, auditor, classifier), built outside its LightningModule."""
from __future__ import annotations

from typing import Any

from ..models.components.image_classifier import ImageClassifier


def build_classifier_net(cfg: Any, channels: int, resolution: int, num_classes: int) -> ImageClassifier:
    """An ImageClassifier from a classifier config section (backbone, width, weights, head, head_scale)."""
    return ImageClassifier(backbone=cfg.backbone, in_channels=channels, resolution=resolution,
                           num_classes=num_classes, width=cfg.width, weights=cfg.weights, head=cfg.head,
                           head_scale=cfg.head_scale)


def module_options(cfg: Any, class_weights) -> dict:
    """The LightningModule's training options from a classifier config section."""
    return dict(lr=cfg.lr, weight_decay=cfg.weight_decay, monitor=cfg.monitor,
                class_weights=None if class_weights is None else [float(w) for w in class_weights])
