"""Fit a classifier module with the stage's Trainer, resuming, and return its best network."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from ..models.classifier_module import monitor_mode
from ..models.components.image_classifier import ImageClassifier
from .context import TrainingContext
from .trainer import best_or_last_checkpoint, fit_resumable, make_trainer


def fit_classifier(ctx: TrainingContext, module: pl.LightningModule, cfg: Any, subdir: str = "",
                   train_loader=None, val_loader=None,
                   datamodule: pl.LightningDataModule | None = None) -> tuple[ImageClassifier, Path]:
    """(best network on CPU in eval mode, its checkpoint) after cfg.epochs epochs; checkpoints
    under <stage>/<subdir>/checkpoints/, chosen by cfg.monitor."""
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
    return module.net.cpu().eval(), Path(best)
