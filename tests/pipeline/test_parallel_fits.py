"""Independent fits over worker processes: same results, in order, as one after another."""
from __future__ import annotations

import os
import sys

import pandas as pd
import pytest
import torch
from rich.console import Console

from lightning_privgan.pipeline.parallel_fits import parallel_fits, run_each
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.pipeline.worker_processes import worker_context
from tests.helpers.fabricated_run import RES, fabricate_upstream
from tests.helpers.parallel_work import environment_seen, fail_on_three, pid_and_square

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)


def test_items_run_in_two_worker_processes_in_order_with_split_threads(cpu_cfg, tmp_path, monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 4)  # the parent's threads, split over the workers
    ctx = StageContext(cpu_cfg({"trainer": {"progress_bar": True}}), tmp_path, "downstream", console=Console(quiet=True))
    results = run_each(pid_and_square, ctx, list(range(6)), processes=2)
    assert [r["value"] for r in results] == [0, 1, 4, 9, 16, 25]
    pids = {r["pid"] for r in results}
    assert os.getpid() not in pids and len(pids) == 2
    assert {r["threads"] for r in results} == {2} and {r["stage"] for r in results} == {"downstream"}
    assert not any(r["progress_bar"] for r in results)  # workers print lines, not live bars
    assert max(r["seen"] for r in results) > 1  # a worker's cache outlives one item


@pytest.mark.skipif(sys.platform == "win32", reason="no fork server on Windows: spawn")
def test_workers_come_from_the_fork_server_with_the_parents_state_of_the_moment(cpu_cfg, tmp_path, monkeypatch):
    assert worker_context().get_start_method() == "forkserver"
    ctx = StageContext(cpu_cfg(), tmp_path, "downstream", console=Console(quiet=True))
    run_each(environment_seen, ctx, [0, 1], processes=2)  # the fork server starts, if not yet
    # Set after the server started: a spawned worker would see them, so a forked one must too.
    monkeypatch.setenv("PRIVGAN_WORKER_PROBE", "set later")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend("privgan-probe-path")
    seen = run_each(environment_seen, ctx, [0, 1], processes=2)
    assert {s["probe"] for s in seen} == {"set later"} and {s["cwd"] for s in seen} == {str(tmp_path)}
    assert all(s["path_mark"] for s in seen) and os.getpid() not in {s["pid"] for s in seen}


def test_one_process_runs_in_this_one_with_one_cache(cpu_cfg, tmp_path):
    ctx = StageContext(cpu_cfg(), tmp_path, "downstream", console=Console(quiet=True))
    results = run_each(pid_and_square, ctx, [2, 3], processes=1)
    assert [(r["pid"], r["value"], r["seen"]) for r in results] == [(os.getpid(), 4, 1), (os.getpid(), 9, 2)]


def test_a_workers_error_reaches_the_stage_with_its_message(cpu_cfg, tmp_path):
    ctx = StageContext(cpu_cfg(), tmp_path, "downstream", console=Console(quiet=True))
    with pytest.raises(ValueError, match="item 3 is refused"):
        run_each(fail_on_three, ctx, [1, 2, 3, 4], processes=2)


def test_how_many_fits_train_at_once(cpu_cfg, monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    assert parallel_fits(cpu_cfg()) == 2  # one per thread on a CPU
    assert parallel_fits(cpu_cfg({"trainer": {"parallel_fits": 1}})) == 1
    assert parallel_fits(cpu_cfg({"trainer": {"parallel_fits": 3}})) == 3
    assert parallel_fits(cpu_cfg({"trainer": {"devices": 2, "strategy": "ddp"}})) == 1  # DDP: every rank trains every fit
    with pytest.raises(Exception, match="trainer.parallel_fits"):
        cpu_cfg({"trainer": {"parallel_fits": 0}})


def test_downstream_runs_trained_two_at_a_time_match_those_trained_one_after_another(cpu_cfg, tmp_path):
    from lightning_privgan.stages import downstream

    tables = {}
    for fits in (1, 2):
        run_dir = tmp_path / f"fits{fits}"
        fabricate_upstream(run_dir)
        cfg = cpu_cfg({"data": {"resolution": RES}, "classifier": {"width": 4, "batch_size": 8},
                       "downstream": {"seeds": 1, "epochs": 2, "steps": 4, "sources": ["real", "plan", "ksame"]},
                       "stream": {"samples_per_epoch": 16}, "trainer": {"parallel_fits": fits}})
        downstream.run(StageContext(cfg, run_dir, "downstream", console=Console(quiet=True)))
        tables[fits] = pd.read_csv(run_dir / "downstream" / "runs.csv")
        assert sorted(p.name for p in (run_dir / "downstream").glob("model_*.pt")) == \
            ["model_ksame_0.pt", "model_plan_0.pt", "model_real_0.pt"]
    assert list(tables[2]["source"]) == ["real", "plan", "ksame"]
    pd.testing.assert_frame_equal(tables[1], tables[2])  # one thread each way: the same arithmetic
