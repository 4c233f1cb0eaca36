"""LightningModules of the classifiers: training logic only. The network (an ImageClassifier,
or any nn.Module with `num_classes`) is built outside and passed in; the data comes from
whatever dataloaders the caller passes (real or synthetic streams).

Batches are (img [N, C, H, W] in [-1, 1], label [N]).
"""
from __future__ import annotations

import math
from typing import Sequence

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MetricCollection

from ..metrics.classification import DIAGNOSTIC_METRICS, IDENTITY_METRICS, diagnostic_metrics, identity_metrics


def monitor_mode(monitor: str) -> str:
    """Checkpoint direction: losses fall, every other metric rises."""
    return "min" if monitor.split("/")[-1] == "loss" else "max"


class _ClassifierModule(pl.LightningModule):
    metric_names: tuple[str, ...] = ()

    def __init__(
        self,
        net: nn.Module,
        *,
        lr: float,
        weight_decay: float,
        monitor: str,
        class_weights: Sequence[float] | None = None,
    ):
        """`net`: the classifier network (training/classifier_networks.py builds it from a config
        section); a pretrained or foreign network drops in unchanged."""
        super().__init__()
        self.save_hyperparameters(ignore=["net"])  # the weights live in the state dict
        split, _, name = monitor.partition("/")
        if split not in ("train", "val") or name not in (*self.metric_names, "loss"):
            allowed = ", ".join(f"val/{m}" for m in (*self.metric_names, "loss"))
            raise ValueError(f"monitor {monitor!r} is not a metric of {type(self).__name__}; use one of {allowed}")
        self.net = net
        num_classes = int(getattr(net, "num_classes", 0))
        if num_classes < 2:
            raise ValueError(f"the network must declare num_classes >= 2, got {getattr(net, 'num_classes', None)!r}")
        if class_weights is not None:
            if len(class_weights) != num_classes:
                raise ValueError(f"{len(class_weights)} class weights for {num_classes} classes")
            self.register_buffer("class_weights", torch.as_tensor(class_weights, dtype=torch.float32))
        else:
            self.class_weights = None
        # Separate attributes (not a ModuleDict keyed "train", which would shadow nn.Module.train)
        # so Lightning moves each collection to the device and never mixes splits.
        self.train_metrics = self.build_metrics(num_classes, "train/")
        self.val_metrics = self.build_metrics(num_classes, "val/")
        self.test_metrics = self.build_metrics(num_classes, "test/")

    def build_metrics(self, num_classes: int, prefix: str) -> MetricCollection:
        raise NotImplementedError

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        return self.net(img)

    def _step(self, batch, split: str) -> torch.Tensor:
        img, label = batch[0], batch[1].long()
        logits = self.net(img)
        loss = F.cross_entropy(logits, label, weight=self.class_weights)
        metrics: MetricCollection = getattr(self, f"{split}_metrics")
        metrics.update(logits.detach().float().softmax(dim=1), label)
        on_step = split == "train"
        self.log(f"{split}/loss", loss, on_step=on_step, on_epoch=True, prog_bar=True, batch_size=len(label),
                 sync_dist=not on_step)
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._step(batch, "test")

    def _log_split_metrics(self, split: str) -> None:
        metrics: MetricCollection = getattr(self, f"{split}_metrics")
        if not any(m.update_count for m in metrics.values()):
            return  # no batch of this split in the epoch (e.g. an empty loader)
        self.log_dict(metrics.compute(), prog_bar=split == "val", sync_dist=True)
        metrics.reset()

    def on_train_epoch_end(self):
        self._log_split_metrics("train")

    def on_validation_epoch_end(self):
        self._log_split_metrics("val")

    def on_test_epoch_end(self):
        self._log_split_metrics("test")

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.net.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        total = self.trainer.estimated_stepping_batches
        if math.isfinite(total) and total > 0:
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=int(total))
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
        # An endless stream has no step count: anneal over the epochs instead.
        epochs = max(1, self.trainer.max_epochs or 1)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}


class DiagnosticClassifierModule(_ClassifierModule):
    """φ_class and the downstream classifier: accuracy (micro), macro accuracy, AUROC, macro F1,
    quadratic kappa (> 2 classes) per split; class-weighted cross-entropy."""

    metric_names = DIAGNOSTIC_METRICS

    def build_metrics(self, num_classes: int, prefix: str) -> MetricCollection:
        return diagnostic_metrics(num_classes, prefix)


class IdentityClassifierModule(_ClassifierModule):
    """φ_id and the auditor: one class per training identity (index in RealData.train_identities());
    val/acc is re-identification top-1."""

    metric_names = IDENTITY_METRICS

    def build_metrics(self, num_classes: int, prefix: str) -> MetricCollection:
        return identity_metrics(num_classes, prefix)
