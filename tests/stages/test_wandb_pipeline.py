"""Every stage with W&B on (offline), and no real patient image in the offline runs unless
logging.allow_real_images is true."""
from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from lightning_privgan.config.load import config_from_dict
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.stages import load_stages
from tests.helpers.experiments import TINY

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)


def _logged_images(run_dir: Path) -> list[Path]:
    return [p for p in run_dir.rglob("wandb/**/media/images/**/*") if p.is_file()]


def _wandb_runs(run_dir: Path) -> set[str]:
    return {p.relative_to(run_dir).parts[0] for p in run_dir.rglob("wandb/offline-run-*")}


def test_every_stage_logs_to_wandb_offline_without_real_images(tmp_path):
    cfg = config_from_dict({**TINY, "runs_root": str(tmp_path)})
    Pipeline(cfg, load_stages(), console=Console(quiet=True)).run()
    run_dir = tmp_path / "wandb"
    assert (run_dir / "report.md").exists()
    # one offline W&B run folder per training stage (downstream: per source and seed) and the report
    assert {"gan", "identity", "auditor", "class_guide", "downstream", "report"} <= _wandb_runs(run_dir)
    assert (run_dir / "downstream" / "runs" / "real_0" / "wandb_run_id.txt").exists()
    logged = _logged_images(run_dir)
    assert any("samples" in str(p) for p in logged)  # GAN grids (synthetic) do go to W&B
    assert not [p for p in logged if "real" in p.name], "a real-image figure was logged to W&B"

    # With real images allowed (audit and report re-run, the rest is cached) the real grid is
    # logged: the check above would catch it.
    allowed = config_from_dict({**TINY, "runs_root": str(tmp_path), "logging": {"allow_real_images": True}})
    planned = Pipeline(allowed, load_stages(), console=Console(quiet=True)).run()
    assert [p.stage.name for p in planned if p.action == "run"] == ["privacy_audit", "report"]
    assert [p for p in _logged_images(run_dir) if "grid_real" in p.name]
