"""Loggers of a stage: CSV always; W&B when enabled, continuing the same run on resume."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from omegaconf import OmegaConf
from pytorch_lightning.loggers import CSVLogger, Logger, WandbLogger

from ..core.atomic import write_text_atomic
from ..core.distributed import is_global_zero
from .context import TrainingContext


def _wandb_run_id(stage_dir: Path) -> str:
    # A requeued SLURM job or a resumed stage must continue the same W&B run,
    # so the id is chosen once and kept in the stage folder (or its sub-run's folder,
    # e.g. downstream/runs/real_0/, which does not exist yet when the logger is made).
    id_file = stage_dir / "wandb_run_id.txt"
    if id_file.exists():
        return id_file.read_text().strip()
    run_id = uuid.uuid4().hex[:12]
    if is_global_zero():  # only rank 0 logs to W&B; other ranks must not race it for the file
        write_text_atomic(id_file, run_id + "\n")
    return run_id


def stage_loggers(ctx: TrainingContext, suffix: str = "") -> list[Logger]:
    loggers: list[Logger] = [CSVLogger(save_dir=str(ctx.out), name="csv" + suffix, version="")]
    wandb_cfg = ctx.cfg.logger.wandb
    if wandb_cfg.enabled and wandb_cfg.mode != "disabled":
        import wandb  # loaded only when W&B tracking is on (seconds to import)

        if wandb.run is not None:
            # WandbLogger adopts a W&B run that is still open: without this, every later stage
            # (and downstream sub-run) would log into the first stage's run.
            wandb.finish()
        os.environ.setdefault("WANDB_MODE", wandb_cfg.mode)
        name = f"{ctx.cfg.name}/{ctx.name}{suffix}"
        loggers.append(
            WandbLogger(
                project=wandb_cfg.project,
                entity=wandb_cfg.entity,
                name=name,
                group=ctx.cfg.name,
                job_type=ctx.name,
                tags=list(ctx.cfg.tags),
                id=_wandb_run_id(ctx.out if not suffix else ctx.out / suffix.strip("/")),
                resume="allow",
                save_dir=str(ctx.out),
                offline=wandb_cfg.mode == "offline",
                config=OmegaConf.to_container(ctx.cfg, resolve=True),
            )
        )
    return loggers
