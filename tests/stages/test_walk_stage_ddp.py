"""The walk stage on two CPU ranks (gloo, in a subprocess): the pairs are split over the ranks,
an interrupted 2-rank walk resumes, and rank 0 gathers the same paths.pt one process writes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]


def _run(run_dir: Path, devices: int, crash_after: int | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "NO_ALBUMENTATIONS_UPDATE": "1"}
    for var in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "NODE_RANK", "SLURM_JOB_ID", "SLURM_NTASKS"):
        env.pop(var, None)
    cmd = ["timeout", "-k", "5", "180", sys.executable, str(REPO / "tests" / "helpers" / "walk_stage_ddp_worker.py"),
           str(run_dir), str(devices)] + ([] if crash_after is None else [str(crash_after)])
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)


def _walked(run_dir: Path, rank: int) -> list[str]:
    return json.loads((run_dir / f"walked_rank{rank}.json").read_text())


def _paths(run_dir: Path) -> dict:
    return torch.load(run_dir / "walk" / "paths.pt", weights_only=False)


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    """The walk one process writes: the reference the two-rank job is compared with."""
    run_dir = tmp_path_factory.mktemp("one") / "ddp"
    proc = _run(run_dir, 1)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return run_dir


def test_an_interrupted_two_rank_walk_resumes_and_gathers_what_one_process_writes(tmp_path, single):
    """Two ranks split the pairs, each dies after two chunks, and the resumed job walks only the
    remaining chunks and gathers exactly the paths.pt one process writes (one test, so the two-rank
    job is launched twice, not three times: the resume's gather is the uninterrupted job's gather)."""
    run_dir = tmp_path / "ddp"
    crashed = _run(run_dir, 2, crash_after=2)
    assert crashed.returncode != 0
    finished = sorted((run_dir / "walk" / "partial").iterdir())
    assert len(finished) == 4  # two chunks from each rank survived the crash, 4 of 8 remain
    ranks = [_walked(run_dir, 0), _walked(run_dir, 1)]
    assert ranks[0] and ranks[1] and not set(ranks[0]) & set(ranks[1])  # each rank walked its own chunks
    before = ranks[0] + ranks[1]
    proc = _run(run_dir, 2)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    again = _walked(run_dir, 0) + _walked(run_dir, 1)
    assert not set(before) & set(again)  # finished chunks were not walked again
    assert sorted(before + again) == sorted(_walked(single, 0))  # every chunk walked once, over both jobs
    assert len(_walked(single, 0)) == 2 * 4  # linear and PLAN, 4 chunks each
    one, two = _paths(single), _paths(run_dir)
    for key in ("linear", "plan", "pairs", "labels"):
        assert torch.equal(one[key], two[key]), key
    assert one["losses"] == two["losses"]
    assert not (run_dir / "walk" / "partial").exists()
