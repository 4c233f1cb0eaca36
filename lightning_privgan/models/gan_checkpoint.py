"""GAN checkpoints on a kimg cadence, from which a resumed run continues bit for bit.

Lightning's ModelCheckpoint without a monitored metric writes last.ckpt only at the end of
training, so a killed GAN stage restarted from kimg 0. This callback writes it every
`gan.checkpoint_every_kimg`. Random draws (z, label shuffles, ADA) come from the global RNG,
whose state a checkpoint does not hold for every rank: instead every rank re-seeds it from
(seed, rank, batches done) at the first batch after each checkpoint, in the uninterrupted run
and in the resumed one alike, so both draw the same numbers from there on. The batches
themselves come from data/position_sampler.py. Being a `Checkpoint`, Lightning runs it after
the other callbacks, so the FD point and sample grid of the same batch are in the checkpoint.
"""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Checkpoint

from ..core.seeds import derive_seed
from .gan_monitor import kimg_crossed


class KimgCheckpoint(Checkpoint):
    def __init__(self, path: str | Path, every_kimg: float, seed: int):
        self.path = Path(path)
        self.every_kimg, self.seed = float(every_kimg), seed
        self.resumed_from_kimg = 0.0  # kimg at which this fit started (0 for a fresh run)
        self._reseed_at = 0

    def on_train_start(self, trainer: pl.Trainer, module) -> None:
        self.resumed_from_kimg = module.kimg
        self._reseed_at = module.batches_done

    def on_train_batch_start(self, trainer: pl.Trainer, module, batch, batch_idx: int) -> None:
        if module.batches_done == self._reseed_at:
            seed = derive_seed(self.seed, "batch", trainer.global_rank, module.batches_done)
            torch.manual_seed(seed)  # every device's generator too
            np.random.seed(seed)
            random.seed(seed)

    def on_train_batch_end(self, trainer: pl.Trainer, module, outputs, batch, batch_idx: int) -> None:
        if kimg_crossed(trainer, module, batch, self.every_kimg):
            trainer.save_checkpoint(self.path)  # every rank calls it; rank 0 writes (atomically)
            self._reseed_at = module.batches_done
