"""The report's table and figures in W&B (offline by default), through the same real-image gate."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .real_image_guard import check_publishable


def log_report(cfg, table: pd.DataFrame, figures: list[tuple[str, Path, str]], allow_real_images: bool, save_dir: Path) -> None:
    import wandb  # loaded only when a report is logged to W&B (seconds to import)

    mode = cfg.logger.wandb.mode
    if mode == "disabled":
        return
    # Checked before a run is opened: a refused figure must not leave a half-logged run behind.
    for title, _, origin in figures:
        check_publishable(origin, allow_real_images, f"W&B figure {title}")
    os.environ.setdefault("WANDB_MODE", mode)
    run = wandb.init(project=cfg.logger.wandb.project, entity=cfg.logger.wandb.entity, group=cfg.name,
                     job_type="report", name=f"{cfg.name}/report", mode=mode, dir=str(save_dir),
                     reinit="finish_previous")
    try:
        run.log({"report/table": wandb.Table(dataframe=table)})
        for title, path, _ in figures:
            run.log({f"report/{Path(path).stem}": wandb.Image(str(path), caption=title)})
    finally:
        run.finish()
