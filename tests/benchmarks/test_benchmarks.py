"""Every benchmark runs the way `make bench` calls it: `python benchmarks/<script>.py` from the repository
root, with only the installed package importable (not the repository root, so `benchmarks` is no package)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.helpers.benchmarks import as_make_does, helps_as_make_does

REPO = Path(__file__).resolve().parents[2]
# Scripts, not the modules they share (paper_reference.py is imported by bench_walker and the tests).
SCRIPTS = sorted(p.name for p in (REPO / "benchmarks").glob("*.py") if "__main__" in p.read_text())
# The smallest setting of each script that `make bench` runs (benchmarks/bench_*.py).
SMALLEST = {
    "bench_generator.py": ["--batch", "2", "--iters", "1", "--train-batches", "1"],
    "bench_phantoms.py": ["--n", "8", "--resolution", "32", "--repeats", "1"],
    "bench_stream.py": ["--images", "64", "--batch", "32", "--pairs", "4"],
    "bench_walker_bound.py": ["--repeats", "1", "--pairs", "1", "--steps", "1", "--chunk", "4"],
    "bench_walker.py": ["--steps", "1", "--pairs", "2", "--n-steps", "4", "--presets", "tiny", "--parity-steps", "1"],
    "bench_gan_speed.py": ["--device", "cpu", "--res", "32", "--batch", "4", "--batches", "1", "--warmup", "1",
                           "--variants", "fp32"],
    "bench_data_memory.py": ["--sizes", "16", "32", "--resolution", "32", "--source", "phantom_cxr"],
    "bench_memory_layout.py": ["--res", "16", "--repeats", "1"],
    "bench_patient_bootstrap.py": ["--images", "40", "--resamples", "100", "--repeats", "1"],
}


def test_every_make_bench_script_has_a_smallest_setting():
    assert sorted(s for s in SCRIPTS if s.startswith("bench_")) == sorted(SMALLEST)


@pytest.fixture(scope="module")
def helps(tmp_path_factory) -> dict:
    return helps_as_make_does(SCRIPTS, tmp_path_factory.mktemp("helps"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_help_runs_from_the_repository_root(script, helps):
    result = helps[script]
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SMALLEST))
def test_benchmark_runs_through_at_its_smallest_setting(script, tmp_path):
    result = as_make_does(script, *SMALLEST[script], tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()
