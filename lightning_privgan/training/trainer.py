"""A Lightning Trainer for a stage, and a fit that resumes from the stage's last checkpoint."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint, RichProgressBar

from ..core.checkpoint_files import AtomicCheckpointIO, loadable_or_moved_aside
from ..core.device_settings import (ChannelsLast, apply_matmul_precision, trainer_precision, use_channels_last,
                                    use_cudnn_benchmark)
from .context import TrainingContext
from .loggers import stage_loggers
from .stage_checkpoint import StageCheckpoint


def make_trainer(
    ctx: TrainingContext,
    *,
    monitor: str | None = None,
    mode: str = "max",
    subdir: str = "",
    callbacks: list[pl.Callback] | None = None,
    **trainer_kwargs: Any,
) -> pl.Trainer:
    """Trainer with the experiment's devices/strategy, CSV(+W&B) loggers and checkpoints.

    Checkpoints go to <stage>/<subdir>/checkpoints/: `last.ckpt` for resuming and,
    when `monitor` is given, `best.ckpt`.
    """
    t = ctx.cfg.trainer
    root = ctx.out / subdir if subdir else ctx.out
    ckpt_dir = root / "checkpoints"
    checkpoint = StageCheckpoint(  # last.ckpt a hard link to best.ckpt when they hold the same step
        dirpath=str(ckpt_dir),
        filename="best",
        monitor=monitor,
        mode=mode,
        save_top_k=1 if monitor else 0,
        save_last=True,
        enable_version_counter=False,
    )
    cbs: list[pl.Callback] = [checkpoint, *(callbacks or [])]
    if t.progress_bar:
        cbs.append(RichProgressBar())  # one bar per fit, reset each epoch (leave=True left one per epoch)
    if use_channels_last(t):
        cbs.append(ChannelsLast())
    apply_matmul_precision(t.tf32)
    kwargs: dict[str, Any] = dict(
        accelerator=t.accelerator,
        devices=t.devices,
        num_nodes=t.num_nodes,
        strategy=t.strategy,
        precision=trainer_precision(t),  # 32-true on a CPU without native bf16 (with a warning)
        deterministic=t.deterministic,
        benchmark=use_cudnn_benchmark(t),
        log_every_n_steps=t.log_every_n_steps,
        enable_progress_bar=t.progress_bar,
        enable_model_summary=False,
        default_root_dir=str(root),
        logger=stage_loggers(ctx, suffix=f"/{subdir}" if subdir else ""),
        callbacks=cbs,
        plugins=[AtomicCheckpointIO()],  # a kill or a full disk never leaves a truncated last.ckpt
    )
    kwargs.update(trainer_kwargs)
    return pl.Trainer(**kwargs)


def last_checkpoint(trainer: pl.Trainer) -> str | None:
    """The newest resumable checkpoint: last.ckpt, or the HPC checkpoint that Lightning's
    SLURM environment writes on SIGUSR1 before a requeue, whichever is more recent."""
    candidates = list(Path(trainer.default_root_dir).glob("hpc_ckpt_*.ckpt"))
    for cb in trainer.callbacks:  # type: ignore[attr-defined]
        if isinstance(cb, ModelCheckpoint) and cb.dirpath:
            candidates.append(Path(cb.dirpath) / "last.ckpt")
    existing = [c for c in candidates if c.exists()]
    for newest in sorted(existing, key=lambda c: c.stat().st_mtime, reverse=True):
        if loadable_or_moved_aside(newest):
            return str(newest)
    return None


def fit_resumable(trainer: pl.Trainer, module: pl.LightningModule, **fit_kwargs: Any) -> None:
    """trainer.fit, resuming from last.ckpt when an interrupted run left one."""
    trainer.fit(module, ckpt_path=last_checkpoint(trainer), **fit_kwargs)


def best_or_last_checkpoint(trainer: pl.Trainer) -> str:
    for cb in trainer.callbacks:  # type: ignore[attr-defined]
        if isinstance(cb, ModelCheckpoint):
            if cb.best_model_path:
                return cb.best_model_path
    last = last_checkpoint(trainer)
    if last is None:
        raise RuntimeError("training finished without writing a checkpoint")
    return last
