"""Two CPU ranks (gloo DDP): disjoint pairs per rank, the same number of batches on each."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]


def test_ddp_ranks_get_disjoint_pairs_and_equal_batches(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "PL_DISABLE_FORK": "1"}
    cmd = ["timeout", "-k", "5", "120", sys.executable, str(REPO / "tests" / "helpers" / "walk_ddp_worker.py"), str(tmp_path)]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["batches"] == ranks[1]["batches"] == 5  # ceil(40 / (4 * 2))
    assert ranks[0]["pairs"] and ranks[1]["pairs"]
    assert not set(ranks[0]["pairs"]) & set(ranks[1]["pairs"])
    assert sorted(ranks[0]["pairs"] + ranks[1]["pairs"]) == list(range(6))
    assert ranks[0]["first_batch"] != ranks[1]["first_batch"]  # rank mixed into the seeds
