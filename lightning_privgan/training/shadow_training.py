"""One shadow model of the membership audit, trained like the downstream models it imitates."""
from __future__ import annotations

from typing import Optional

import torch
from omegaconf import OmegaConf
from torch import nn

from ..data.image_dataset import ImageDataset
from ..data.real_store import RealData
from ..data.training_budget import budget_loader, training_budget
from ..data.transforms import build_train_transform
from .context import TrainingContext
from .diagnostic_training import train_diagnostic
from .loaders import make_loader


def train_shadow(ctx: TrainingContext, data: RealData, images: torch.Tensor, labels: torch.Tensor, seed: int,
                 epochs: Optional[int]) -> nn.Module:
    """A shadow network trained like the targets: the downstream budget (steps x batch, standard
    augmentation, class weights), or `epochs` epochs over its own data when audit.shadow_epochs is set."""
    budget = training_budget(ctx.cfg)
    clf_cfg = OmegaConf.merge(ctx.cfg.classifier, {"epochs": epochs or budget.epochs})
    transform = build_train_transform(ctx.cfg.data.augment, data.channels, seed, clf_cfg.augment)
    dataset = ImageDataset(images, labels, transform)
    loader = (make_loader(dataset, clf_cfg.batch_size, True, 0, seed) if epochs
              else budget_loader(dataset, budget, 0, seed))
    # No data is left to choose a checkpoint on: the shadow's own training set serves,
    # which favours the most fitted checkpoint (a conservative, stronger attack).
    val = make_loader(ImageDataset(images, labels), clf_cfg.batch_size, False, 0, seed)
    net, _ = train_diagnostic(ctx, loader, val, clf_cfg, data.num_classes, data.channels, data.resolution,
                              subdir=f"shadows/{seed}")
    return net
