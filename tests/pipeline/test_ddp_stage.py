"""A training stage under DDP: `privgan run` with two CPU processes (gloo) in a subprocess.

Lightning's launcher re-runs the command for rank 1, and torchrun starts both ranks itself;
either way the runner must let rank 1 skip the finished data stage, join the classifier
stage's fit, and leave the writing to rank 0.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]


LAUNCHERS = {
    "lightning": [sys.executable, "-m", "lightning_privgan"],
    "torchrun": [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
                 "-m", "lightning_privgan"],
}


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_classifier_stage_trains_on_two_ranks(tmp_path, launcher):
    env = dict(os.environ, NO_ALBUMENTATIONS_UPDATE="1", WANDB_MODE="offline", OMP_NUM_THREADS="1",
               PYTHONPATH=str(REPO))
    for var in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "NODE_RANK", "SLURM_JOB_ID", "SLURM_NTASKS", "PRIVGAN_DEVICES"):
        env.pop(var, None)
    cmd = [
        "timeout", "-k", "5", "300", *LAUNCHERS[launcher], "run", "experiments/demo.yaml",
        "--only", "data", "--only", "class_guide",
        f"runs_root={tmp_path}", "name=ddp", "data.resolution=16", "data.phantom.num_patients=16",
        "data.phantom.scans_per_patient=3", "classifier.epochs=2", "classifier.batch_size=8",
        "trainer.accelerator=cpu", "trainer.devices=2", "trainer.strategy=ddp", "trainer.progress_bar=false",
        "trainer.precision=32-true",  # the launch is under test, not the arithmetic: the same on every CPU
    ]
    result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = tmp_path / "ddp" / "class_guide"
    record = json.loads((out / "stage.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert record["hash"] and (out / "model.pt").is_file() and metrics["test"]["n"] > 0
    # Both ranks took part: Lightning reports the world size it trained with (in the run's log files).
    logs = "".join(p.read_text() for p in (tmp_path / "ddp" / "logs").glob("*.log"))
    assert "distributed_backend=gloo" in logs
    assert "All distributed processes registered. Starting with 2 processes" in logs
    # Rank 1 joins the fit only: evaluation and its figures come from rank 0 alone.
    assert (result.stdout + result.stderr).count("classifier test:") == 1
