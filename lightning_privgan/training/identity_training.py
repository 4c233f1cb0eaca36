"""Identity networks (φ_id and the auditor): one class per training patient."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytorch_lightning as pl

from ..data.classifier_datasets import IdentitySplit, split_identity_data
from ..data.image_dataset import ImageDataset
from ..data.real_store import RealData
from ..data.transforms import build_train_transform
from ..metrics.classification import inverse_frequency_weights
from ..models.classifier_module import IdentityClassifierModule
from ..models.components.image_classifier import ImageClassifier
from .classifier_networks import build_classifier_net, module_options
from .context import TrainingContext
from .fit_classifier import fit_classifier
from .loaders import make_loader


@dataclass
class TrainedIdentityNet:
    net: ImageClassifier
    identities: list[str]  # patient id of each class
    split: IdentitySplit  # what it trained and validated on (val: unseen scans or augmented views)
    best_checkpoint: Path


def train_identity_net(ctx: TrainingContext, data: RealData, cfg: Any) -> TrainedIdentityNet:
    identities = data.train_identities()
    if len(identities) < 2:
        raise ValueError(f"the train split holds {len(identities)} identity; an identity network needs at least 2")
    seed = ctx.seed("augment", cfg.seed_offset)
    augment = ctx.cfg.data.augment
    view_transform = build_train_transform(augment, data.channels, seed + 1, "identity", ignore_enabled=True)
    split = split_identity_data(data.split("train"), identities, ctx.seed("split", cfg.seed_offset), view_transform)
    transform = build_train_transform(augment, data.channels, seed, cfg.augment)
    workers = ctx.cfg.data.num_workers
    train_loader = make_loader(ImageDataset(split.train_images, split.train_labels, transform), cfg.batch_size, True,
                               workers, seed)
    val_loader = make_loader(ImageDataset(split.val_images, split.val_labels), cfg.batch_size, False, workers, seed)
    weights = inverse_frequency_weights(split.train_labels, len(identities)) if cfg.class_weighting else None
    pl.seed_everything(ctx.seed("init", cfg.seed_offset), workers=False, verbose=False)
    net = build_classifier_net(cfg, data.channels, data.resolution, len(identities))
    module = IdentityClassifierModule(net, **module_options(cfg, weights))
    net, best = fit_classifier(ctx, module, cfg, "", train_loader, val_loader)
    return TrainedIdentityNet(net, identities, split, best)
