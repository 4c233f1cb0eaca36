"""The stage profiler (benchmarks/profile_stages.py) charges every moment to exactly one bucket."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def _sleeper(seconds: float):
    def sleep():
        time.sleep(seconds)
    return sleep


def test_a_higher_ranked_call_takes_over_and_a_lower_ranked_one_is_absorbed():
    from profile_stages import BucketClock, _timed

    clock = BucketClock()
    save = _timed(clock, "checkpoint and file I/O", _sleeper(0.05))
    module_call = _timed(clock, "model compute", _sleeper(0.05))

    def validation_round():
        time.sleep(0.05)
        save()           # ranks above validation: its own bucket
        module_call()    # ranks below: stays validation

    _timed(clock, "validation rounds", validation_round)()
    module_call()        # outside any bucket: model compute
    totals = clock.snapshot()
    assert totals["checkpoint and file I/O"] == pytest.approx(0.05, abs=0.02)
    assert totals["validation rounds"] == pytest.approx(0.10, abs=0.02)
    assert totals["model compute"] == pytest.approx(0.05, abs=0.02)
    assert clock.calls["model compute"] == 1  # the absorbed call was not entered


def test_buckets_add_up_to_the_wall_time_and_other_threads_are_not_charged():
    from profile_stages import BucketClock, _timed

    clock = BucketClock()
    started = time.perf_counter()
    compute = _timed(clock, "model compute", _sleeper(0.03))
    worker = threading.Thread(target=compute)
    worker.start()
    worker.join()        # the main thread waited in stage code
    compute()
    totals = clock.snapshot()
    wall = time.perf_counter() - started
    assert sum(totals.values()) == pytest.approx(wall, abs=0.005)
    assert clock.calls["model compute"] == 1
    assert totals["stage code"] >= 0.025


def test_the_table_names_every_stage_and_only_the_buckets_that_took_time():
    from profile_stages import markdown_table

    rows = [{"stage": "walk", "wall_s": 2.0, "cpu_s": 3.9, "fits": 0,
             "buckets": {"stage code": 1.5, "model compute": 0.5, "data loading": 0.01}}]
    table = markdown_table(rows)
    assert "| walk | 2.0 | 3.9 | 0 | 1.5 | 0.5 |" in table
    assert "data loading" not in table
