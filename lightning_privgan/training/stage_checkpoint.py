"""Lightning's ModelCheckpoint with a last.ckpt of every epoch, hard-linked to best.ckpt when both
hold the same step.

last.ckpt is the resume point, so it must hold the newest state. Lightning 2.6 writes it only in
the steps that also wrote a top-k checkpoint: after an epoch that did not improve the metric it
kept the older best, and a fit killed there resumed epochs back (and one that ended on such an
epoch left a last.ckpt short of max_epochs). Here, beside a monitored metric, it is written after
every validation (or training epoch, where the checkpoint is taken there), as older Lightning
releases did.

An epoch that improves the monitored metric writes best.ckpt and then last.ckpt from one and the
same trainer state: the same bytes twice (134 MB each for the demo's ResNet auditor with its Adam
state, in 9 of its 12 epochs). Here the second is a hard link to the first. It is safe only
because every checkpoint is written to a temporary file and renamed (AtomicCheckpointIO,
core/checkpoint_files.py): a later best.ckpt is a new file, and last.ckpt keeps the one it links
to. With any other checkpoint IO, which may write in place, both files are written as before.

Lightning's own `save_last="link"` is not this: it links last.ckpt to the newest checkpoint this
callback wrote at any step, so after an epoch that did not improve, last.ckpt would be the stale
best and a resumed fit would repeat epochs.
"""
from __future__ import annotations

from weakref import proxy

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint

from ..core.atomic import hard_link_atomic
from ..core.checkpoint_files import AtomicCheckpointIO


class StageCheckpoint(ModelCheckpoint):
    _last_written_step = -1

    def on_validation_end(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        due = not self._should_skip_saving_checkpoint(trainer) and not self._should_save_on_train_epoch_end(trainer)
        super().on_validation_end(trainer, pl_module)
        if due:
            self._last_of_this_step(trainer)

    def on_train_epoch_end(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        due = not self._should_skip_saving_checkpoint(trainer) and self._should_save_on_train_epoch_end(trainer)
        super().on_train_epoch_end(trainer, pl_module)
        if due:
            self._last_of_this_step(trainer)

    def _last_of_this_step(self, trainer: "pl.Trainer") -> None:
        # Only beside a monitored best.ckpt: a fit without one (the GAN) keeps its own cadence
        # (models/gan_checkpoint.py), which an epoch-end last.ckpt would overwrite.
        if self.save_last and self.monitor is not None and self._last_written_step != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))

    def _same_as_best(self, trainer: "pl.Trainer", last_path: str) -> bool:
        # The best file of this very step, and last.ckpt's own recorded path unchanged (the callback
        # state inside the file names it): then the two files would be byte for byte the same.
        # Only with the project's atomic writes: an in-place write into one name would overwrite both.
        return (isinstance(trainer.strategy.checkpoint_io, AtomicCheckpointIO)
                and bool(self.best_model_path) and self._last_checkpoint_saved == self.best_model_path
                and self._last_global_step_saved == trainer.global_step and self.last_model_path == last_path)

    def _save_last_checkpoint(self, trainer: "pl.Trainer", monitor_candidates) -> None:
        self._last_written_step = trainer.global_step
        if self.save_last is True and self.monitor is not None:
            last_path = self.format_checkpoint_name(monitor_candidates, self.CHECKPOINT_NAME_LAST)
            if self._same_as_best(trainer, last_path) and self._link_to_best(trainer, last_path):
                return
        super()._save_last_checkpoint(trainer, monitor_candidates)

    def _link_to_best(self, trainer: "pl.Trainer", last_path: str) -> bool:
        """Replace last.ckpt by a hard link to best.ckpt; False (nothing changed) where the file
        system has no hard links. Every rank takes the same branch: the decision uses only
        state that all ranks share."""
        linked = True
        if trainer.is_global_zero:
            try:
                hard_link_atomic(self.best_model_path, last_path)  # a kill leaves the old last.ckpt or the new
            except OSError:
                linked = False
        linked = bool(trainer.strategy.broadcast(linked))
        if linked:
            self._last_checkpoint_saved = last_path
            for logger in trainer.loggers if trainer.is_global_zero else ():
                logger.after_save_checkpoint(proxy(self))
        return linked
