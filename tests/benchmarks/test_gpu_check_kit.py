"""The GPU check kit runs (at toy sizes, on CPU): tests never need a GPU."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))


def _env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), **extra}


def test_gan_speed_variant_times_real_training_steps():
    from bench_gan_speed import run_variant

    row = run_variant("bf16-mixed", res=16, batch=4, batches=1, warmup=1, device="cpu", channels=1)
    assert row["finite"] and row["s_per_kimg"] > 0 and row["preset"] == "tiny"
    assert row["kimg_per_h"] == pytest.approx(3600 / row["s_per_kimg"])


def test_kit_refuses_to_run_without_a_gpu_unless_smoke():
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--only", "gan"],
                          env=_env(CUDA_VISIBLE_DEVICES=""), capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "no CUDA device visible; use --cpu-smoke" in done.stderr


@pytest.mark.slow
def test_kit_cpu_smoke_runs_every_check(tmp_path):
    done = subprocess.run(["timeout", "-k", "5", "900", sys.executable, str(REPO / "benchmarks" / "gpu_check.py"),
                           "--cpu-smoke", "--out", str(tmp_path)], env=_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = done.stdout[done.stdout.index("| check |"):]
    for row in ("| demo, ADA on | 32-true | passed", "| demo, ADA on | 16-mixed | passed", "| GAN 16 px (tiny)",
                "| walker benchmark |", "| walker ceiling |", "| tb walk (PLAN) |"):
        assert row in table
    assert "FAILED" not in table and "CPU smoke run" in done.stdout
