"""The sweep's cells reuse the finished run's upstream stages through the runner's cache:
stand-in stages (the real ten names, seconds to run) make a finished run, and the sweep
must run walk and later per cell, leave the finished run untouched, resume, and refuse a
run or overrides whose upstream stages are not current."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from lightning_privgan.core.atomic import write_text_atomic
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.pipeline.stage import Stage
from lightning_privgan.stages import STAGE_ORDER
from lightning_privgan.sweep.grid import expand_grid
from lightning_privgan.sweep.run_sweep import CellFailed, prepare_sweep, run_sweep
from tests.helpers.sweep_cells import fabricate_audit, fabricate_downstream, fabricate_walk
from tests.helpers.sweep_cells import KEYS, UPSTREAM, snapshot



def stand_in_stages(calls: list[str], fail: set[str] = frozenset()) -> list[Stage]:
    """The pipeline's ten stages in order; downstream and audit write what the sweep collects,
    from the cell's λ_priv (so a row shows which settings its cell ran with)."""
    def body(name):
        def run(ctx):
            calls.append(f"{ctx.cfg.name}:{name}")
            if name in fail:
                raise RuntimeError(f"{name} crashed")
            lam, sources = float(ctx.cfg.walk.lambda_priv), list(ctx.cfg.downstream.sources)
            if name == "walk":  # reads an upstream artifact through the cell's folder
                assert ctx.input("gan").path("result.txt").read_text() == "gan"
                fabricate_walk(ctx.run_dir)
            if name == "downstream":
                fabricate_downstream(ctx.run_dir, {s: [0.9 - 0.1 * lam, 0.8 - 0.1 * lam] for s in sources})
            if name == "privacy_audit":
                fabricate_audit(ctx.run_dir, {s: [0.1 + lam, 0.2 + lam, 0.3 + lam] for s in sources})
            write_text_atomic(ctx.out / "result.txt", name)
        return run

    stages, earlier = [], ()
    for name in STAGE_ORDER:
        stages.append(Stage(name, body(name), needs=earlier, config_keys=KEYS[name]))
        earlier = (*earlier, name)
    return stages


@pytest.fixture
def finished_run(cpu_cfg, tmp_path):
    cfg = cpu_cfg({"walk": {"lambda_priv": 0.1, "optim_steps": 5}})
    Pipeline(cfg, stand_in_stages([]), console=Console(quiet=True)).run()
    return Path(cfg.runs_root) / cfg.name
def sweep(run_dir: Path, calls: list[str], *, overrides=(), fail=frozenset(), lambdas=(0.0, 1.0), steps=(7,)):
    stages = stand_in_stages(calls, fail)
    setup = prepare_sweep(run_dir, expand_grid(lambdas, steps), None, list(overrides), stages)
    return setup, run_sweep(setup, Console(quiet=True))


def test_cells_run_walk_and_later_on_the_finished_runs_upstream_which_stays_untouched(finished_run):
    before = snapshot(finished_run)
    calls: list[str] = []
    setup, md = sweep(finished_run, calls)
    swept = ["walk", "downstream", "privacy_audit", "report"]
    assert calls == [f"lambda{lam}_steps7:{s}" for lam in (0, 1) for s in swept]  # no upstream stage ran
    assert snapshot(finished_run) == before, "the sweep wrote into the finished run"
    assert setup.out == finished_run.parent / f"{finished_run.name}-sweep"
    for cell in setup.cells:
        cell_dir = setup.cell_dir(cell)
        for stage in UPSTREAM:  # hard links of the finished run's files, records included
            assert not (cell_dir / stage).is_symlink()
            for f in (finished_run / stage).rglob("*"):
                if f.is_file():
                    assert os.path.samefile(f, cell_dir / stage / f.relative_to(finished_run / stage))
        planned = Pipeline(setup.configs[cell.name], stand_in_stages([]), console=Console(quiet=True)).plan()
        assert all(p.action == "cached" for p in planned)
        assert setup.configs[cell.name].walk.optim_steps == 7
        assert list(setup.configs[cell.name].downstream.sources) == ["plan"]
    table = pd.read_csv(setup.out / "sweep.csv")
    plan = table[table["source"] == "plan"].set_index("lambda_priv")
    # each row comes from its own cell's settings (the stand-ins write 0.85 - 0.1 λ and 0.2 + λ)
    assert plan.loc[0.0, "acc_mean"] == pytest.approx(0.85) and plan.loc[1.0, "acc_mean"] == pytest.approx(0.75)
    assert plan.loc[1.0, "closest_distance"] == pytest.approx(1.2, rel=1e-5)
    assert set(table["source"]) == {"plan", "linear", "real"}  # the baseline: the finished run's sources
    assert md == setup.out / "sweep.md" and (setup.out / "sweep.png").is_file()


def test_a_finished_sweep_is_not_redone_and_an_interrupted_one_resumes(finished_run):
    calls: list[str] = []
    with pytest.raises(CellFailed) as err:
        sweep(finished_run, calls, fail={"privacy_audit"})
    assert err.value.cell.name == "lambda0_steps7" and err.value.stage == "privacy_audit" and err.value.log.is_file()
    calls.clear()
    setup, _ = sweep(finished_run, calls)  # resumes: the first cell's walk and downstream are kept
    assert calls == ["lambda0_steps7:privacy_audit", "lambda0_steps7:report"] + [
        f"lambda1_steps7:{s}" for s in ("walk", "downstream", "privacy_audit", "report")]
    calls.clear()
    sweep(finished_run, calls)
    assert calls == []
    calls.clear()
    sweep(finished_run, calls, lambdas=(0.0, 1.0, 3.0))  # a widened grid runs the new cell only
    assert {c.split(":")[0] for c in calls} == {"lambda3_steps7"}


def test_a_sweep_over_a_rerun_finished_run_relinks_its_upstream(finished_run, cpu_cfg):
    calls: list[str] = []
    setup, _ = sweep(finished_run, calls, lambdas=(0.0,))
    Pipeline(cpu_cfg({"walk": {"lambda_priv": 0.1, "optim_steps": 5}}), stand_in_stages([]),
             console=Console(quiet=True)).run(force=["anchors"])
    calls.clear()
    sweep(finished_run, calls, lambdas=(0.0,))
    assert calls == [f"lambda0_steps7:{s}" for s in ("walk", "downstream", "privacy_audit", "report")]
    cell_anchors = setup.cell_dir(setup.cells[0]) / "anchors" / "stage.json"
    assert cell_anchors.read_bytes() == (finished_run / "anchors" / "stage.json").read_bytes()


def test_an_override_that_changes_an_upstream_stage_is_refused_before_any_work(finished_run):
    calls: list[str] = []
    with pytest.raises(ValueError, match="stage 'gan' of .* is not current for the sweep's settings"):
        sweep(finished_run, calls, overrides=["gan.kimg=3"])
    assert calls == [] and not (finished_run.parent / f"{finished_run.name}-sweep").exists()


def test_an_unfinished_run_is_refused_naming_the_stage(finished_run):
    (finished_run / "privacy_audit" / "stage.json").unlink()
    with pytest.raises(ValueError, match=r"not a finished run: stage 'privacy_audit' is not current \(resume interrupted run\)"):
        sweep(finished_run, [])


@pytest.mark.parametrize("override", ["walk.lambda_priv=2", "name=x", "downstream.sources=[linear]"])
def test_the_swept_keys_cannot_be_overridden(finished_run, override):
    with pytest.raises(ValueError, match="set by the sweep itself"):
        sweep(finished_run, [], overrides=[override])


def test_the_sweep_folder_may_not_lie_inside_the_finished_run(finished_run):
    with pytest.raises(ValueError, match="inside the finished run"):
        prepare_sweep(finished_run, expand_grid((0.0,), (7,)), finished_run / "sweep", [], stand_in_stages([]))


def test_the_cli_names_a_folder_that_is_not_a_run_and_a_bad_grid(tmp_path, capsys):
    from lightning_privgan.cli import main

    assert main(["sweep", str(tmp_path)]) == 1
    assert "no config.yaml" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path), "--lambda-priv", "0,abc"]) == 1
    assert "--lambda-priv: 'abc' is not a number" in capsys.readouterr().err
