"""Settings that can only be checked once the data stage has counted the classes.

`anchors.k` larger than a class's train images fails k-same grouping, which runs after the
GAN has trained for hours: the runner calls this as soon as the data stage's summary exists
(right after the data stage, or before any work when it is cached).
"""
from __future__ import annotations

from omegaconf import DictConfig

from ..config.errors import ConfigError
from .stratified_subset import class_quotas


def anchor_images_per_class(cfg: DictConfig, train_per_class: dict[str, int]) -> dict[str, int]:
    """Train images per class that the anchors stage projects (anchors.max_images subsets each class)."""
    return class_quotas(train_per_class, cfg.anchors.max_images)


def check_against_data(cfg: DictConfig, data_summary: dict) -> None:
    """ConfigError (exit 2) when anchors.k exceeds the train images of the smallest class."""
    if cfg.anchors.method != "ksame":
        return
    train = data_summary.get("splits", {}).get("train", {}).get("per_class")
    if not train:
        return
    counts = anchor_images_per_class(cfg, train)
    name, smallest = min(counts.items(), key=lambda item: item[1])
    if cfg.anchors.k > smallest:
        capped = " (after anchors.max_images)" if cfg.anchors.max_images is not None else ""
        raise ConfigError(
            f"Configuration error: key 'anchors.k': {cfg.anchors.k} is larger than the {smallest} train images of "
            f"class '{name}'{capped} that the data stage found; k-same needs k images per class: must be >= 1 and "
            f"<= {smallest}.")
