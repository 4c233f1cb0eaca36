"""SLURM: the sbatch template renders right and the runner refuses a mismatched task layout."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from lightning_privgan.config.errors import ConfigError
from lightning_privgan.core.distributed import global_rank
from lightning_privgan.pipeline.cluster import check_slurm_layout

REPO = Path(__file__).resolve().parents[2]


def load_render():
    spec = importlib.util.spec_from_file_location("render", REPO / "scripts" / "slurm" / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render


def test_template_renders_one_task_per_gpu_with_requeue(monkeypatch):
    monkeypatch.chdir(REPO)
    text = load_render()("experiments/demo.yaml", nodes=2, gpus=4, overrides="gan.kimg=100 seed=3")
    assert "${" not in text
    assert re.search(r"^#SBATCH --nodes=2$", text, re.M)
    assert re.search(r"^#SBATCH --ntasks-per-node=4$", text, re.M)
    assert re.search(r"^#SBATCH --gpus-per-node=4$", text, re.M)
    assert re.search(r"^#SBATCH --signal=SIGUSR1@90$", text, re.M)
    assert re.search(r"^#SBATCH --requeue$", text, re.M)
    assert "srun .venv/bin/privgan run experiments/demo.yaml" in text
    assert "trainer.devices=4 trainer.num_nodes=2 gan.kimg=100 seed=3" in text


def test_template_rejects_missing_experiment(monkeypatch):
    monkeypatch.chdir(REPO)
    with pytest.raises(FileNotFoundError):
        load_render()("experiments/nope.yaml", nodes=1, gpus=1)


def test_layout_mismatch_says_what_to_fix(cpu_cfg):
    cfg = cpu_cfg({"trainer": {"devices": 4, "num_nodes": 2}})
    env = {"SLURM_JOB_ID": "1", "SLURM_JOB_NAME": "privgan", "SLURM_NTASKS_PER_NODE": "2", "SLURM_NNODES": "2", "SLURM_NTASKS": "4"}
    with pytest.raises(ConfigError, match="--ntasks-per-node=4"):
        check_slurm_layout(cfg, env)
    good = dict(env, SLURM_NTASKS_PER_NODE="4", SLURM_NTASKS="8")
    check_slurm_layout(cfg, good)
    check_slurm_layout(cfg, {})  # outside SLURM nothing is checked


def test_global_rank_from_launchers(monkeypatch):
    for var in ("RANK", "SLURM_NTASKS", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK", "LOCAL_WORLD_SIZE", "PRIVGAN_DEVICES"):
        monkeypatch.delenv(var, raising=False)
    assert global_rank() == 0
    monkeypatch.setenv("SLURM_NTASKS", "8")
    monkeypatch.setenv("SLURM_PROCID", "5")
    assert global_rank() == 5
    monkeypatch.setenv("RANK", "3")
    assert global_rank() == 3
    monkeypatch.delenv("RANK")
    monkeypatch.delenv("SLURM_NTASKS")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("NODE_RANK", "1")
    monkeypatch.setenv("PRIVGAN_DEVICES", "2")
    assert global_rank() == 3


def test_replicates_render_as_an_array_job_one_replicate_a_task(monkeypatch):
    monkeypatch.chdir(REPO)
    text = load_render()("experiments/demo.yaml", nodes=1, gpus=2, overrides="walk.lambda_priv=0.1", replicates=5)
    assert "${" not in text and "$$" not in text
    assert re.search(r"^#SBATCH --array=0-4$", text, re.M)
    assert re.search(r"^#SBATCH --job-name=privgan-demo-replicates$", text, re.M)
    assert re.search(r"^#SBATCH --output=runs/slurm-%x-%A_%a.out$", text, re.M)
    assert "srun .venv/bin/privgan replicate --replicates 5 --index $SLURM_ARRAY_TASK_ID experiments/demo.yaml" in text
    assert "trainer.devices=2 trainer.num_nodes=1 walk.lambda_priv=0.1" in text
    single = load_render()("experiments/demo.yaml", nodes=1, gpus=1)
    assert "--array" not in single and "srun .venv/bin/privgan run experiments/demo.yaml" in single
    with pytest.raises(ValueError, match="replicates"):
        load_render()("experiments/demo.yaml", nodes=1, gpus=1, replicates=0)
