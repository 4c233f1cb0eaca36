"""Stage loggers: CSV always; W&B offline continues the same run id when a stage resumes."""
from __future__ import annotations

from pytorch_lightning.loggers import CSVLogger

from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.training.loggers import stage_loggers


def ctx_for(cfg, tmp_path):
    return StageContext(cfg=cfg, run_dir=tmp_path / "runs" / cfg.name, name="gan")


def test_csv_only_by_default(cpu_cfg, tmp_path):
    loggers = stage_loggers(ctx_for(cpu_cfg(), tmp_path))
    assert [type(lg) for lg in loggers] == [CSVLogger]


def test_wandb_run_id_is_persisted_for_resume(cpu_cfg, tmp_path):
    cfg = cpu_cfg({"logger": {"wandb": {"enabled": True, "mode": "offline"}}})
    ctx = ctx_for(cfg, tmp_path)
    first = stage_loggers(ctx)[1]
    second = stage_loggers(ctx)[1]
    stored = (ctx.out / "wandb_run_id.txt").read_text().strip()
    assert first._id == second._id == stored
    other = stage_loggers(StageContext(cfg=cfg, run_dir=ctx.run_dir, name="identity"))[1]
    assert other._id != stored


def test_wandb_run_id_of_a_sub_run_whose_folder_does_not_exist_yet(cpu_cfg, tmp_path):
    cfg = cpu_cfg({"logger": {"wandb": {"enabled": True, "mode": "offline"}}})
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "runs" / cfg.name, name="downstream")
    first = stage_loggers(ctx, suffix="/runs/real_0")[1]  # downstream/runs/real_0/ is not there yet
    assert (ctx.out / "runs" / "real_0" / "wandb_run_id.txt").read_text().strip() == first._id
    assert stage_loggers(ctx, suffix="/runs/real_0")[1]._id == first._id
