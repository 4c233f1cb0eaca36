"""Independent stages side by side: each once its inputs are done, in worker processes only while
another runs beside it, with the records, caching and resume of a run one stage after another."""
from __future__ import annotations

import json
import os
import time

import pytest
import torch
from rich.console import Console

from lightning_privgan.pipeline import concurrent_stages
from lightning_privgan.pipeline.concurrent_stages import StagePrefixedLines, parallel_stages
from lightning_privgan.pipeline.runner import Pipeline
from tests.helpers.side_by_side_stages import SECONDS, make_stages

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)


def _ran(pipe: Pipeline, name: str) -> dict:
    return json.loads((pipe.run_dir / name / "ran.json").read_text())


def _results(pipe: Pipeline) -> dict:
    return {s.name: (pipe.run_dir / s.name / "result.txt").read_text() for s in pipe.stages}


def test_independent_stages_run_side_by_side_with_the_records_of_one_after_another(cpu_cfg, monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 4)  # two slots, two threads each
    side = Pipeline(cpu_cfg({"name": "side", "trainer": {"parallel_stages": 2}}), make_stages(),
                    console=Console(quiet=True))
    side.run()
    ran = {s.name: _ran(side, s.name) for s in side.stages}
    # A stage with none beside it runs here with every thread: data first, walk last.
    assert ran["data"]["pid"] == ran["walk"]["pid"] == os.getpid()
    workers = {ran[n]["pid"] for n in ("gan", "identity", "auditor")}
    assert os.getpid() not in workers and {ran[n]["threads"] for n in ("gan", "identity", "auditor")} == {2}
    assert ran["gan"]["start"] < ran["identity"]["end"] and ran["identity"]["start"] < ran["gan"]["end"]  # overlap
    assert ran["auditor"]["start"] >= min(ran["gan"]["end"], ran["identity"]["end"])  # two slots: the third waits
    assert ran["walk"]["start"] >= max(ran[n]["end"] for n in ("gan", "identity", "auditor"))  # after its inputs
    assert ran["gan"]["end"] - ran["data"]["end"] < 3 * SECONDS + 30  # not one after another plus a worker's start

    one = Pipeline(cpu_cfg({"name": "one", "trainer": {"parallel_stages": 1}}), make_stages(pause=0),
                   console=Console(quiet=True))
    one.run()
    assert _results(side) == _results(one)
    # The same records: a rerun of either finds every stage current, whichever way it ran.
    for cfg_name, slots in (("side", 2), ("one", 1), ("side", 1)):
        planned = Pipeline(cpu_cfg({"name": cfg_name, "trainer": {"parallel_stages": slots}}), make_stages()).plan()
        assert [p.action for p in planned] == ["cached"] * 5

    # Cached stages feed the ones that run; a stage that runs alone runs here.
    changed = Pipeline(cpu_cfg({"name": "side", "trainer": {"parallel_stages": 2}, "gan": {"kimg": 1.0}}),
                       make_stages(pause=0), console=Console(quiet=True))
    assert [p.action for p in changed.run()] == ["cached", "run", "cached", "cached", "run"]
    assert _ran(changed, "identity") == ran["identity"] and _ran(changed, "gan")["pid"] == os.getpid()


def test_a_failing_stage_is_named_and_the_stage_beside_it_is_left_to_resume(cpu_cfg, monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    # The stopped gan worker must leave by itself once its records are written: it once sat in the
    # broken pool until the runner's join gave up (then 60 s after every failed stage).
    monkeypatch.setattr(concurrent_stages, "STOP_WAIT_S", 600)
    cfg = cpu_cfg({"trainer": {"parallel_stages": 2}})
    pipe = Pipeline(cfg, make_stages(fail="identity", slow="gan"), console=Console(quiet=True))
    start = time.monotonic()
    with pytest.raises(ValueError, match="identity refuses its input"):
        pipe.run()
    assert time.monotonic() - start < 300, "the runner waited out STOP_WAIT_S for a stopped worker"
    assert pipe.current_stage == "identity"
    # gan was stopped beside it, not recorded as done; a rerun resumes both.
    gan = pipe.run_dir / "gan"
    assert (gan / "partial.txt").exists() and (gan / "attempt.json").exists() and not (gan / "stage.json").exists()
    planned = {p.stage.name: p for p in Pipeline(cfg, make_stages()).plan()}
    assert planned["data"].action == "cached"
    assert planned["gan"].reason == planned["identity"].reason == "resume interrupted run"
    Pipeline(cfg, make_stages(pause=0), console=Console(quiet=True)).run()
    assert [p.action for p in Pipeline(cfg, make_stages()).plan()] == ["cached"] * 5


def test_how_many_stages_run_at_once(cpu_cfg, monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    assert parallel_stages(cpu_cfg()) == 1  # one after another unless asked
    assert parallel_stages(cpu_cfg({"trainer": {"parallel_stages": None}})) == 2  # one per thread
    assert parallel_stages(cpu_cfg({"trainer": {"devices": 2, "strategy": "ddp"}})) == 1  # DDP: each rank runs each stage
    with pytest.raises(Exception, match="trainer.parallel_stages"):
        cpu_cfg({"trainer": {"parallel_stages": 0}})


def test_a_workers_lines_say_which_stage_wrote_them():
    import io

    out = io.StringIO()
    lines = StagePrefixedLines("gan", out)
    lines.write("kimg 1\nkimg")
    lines.write(" 2\n")
    assert out.getvalue() == "[gan] kimg 1\n[gan] kimg 2\n" and not lines.isatty()


class NeedsTwo(Exception):
    """Pickles, but cannot be rebuilt from its args (its message): a custom exception's usual flaw."""

    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


def test_an_error_the_parent_could_not_rebuild_still_arrives_with_its_message():
    from lightning_privgan.pipeline.concurrent_stages import _travels

    assert _travels(ValueError("fine")) and not _travels(NeedsTwo(1, 2))
