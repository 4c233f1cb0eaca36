"""`privgan sweep` on a tiny finished run with the real stages: a 2×1 grid re-runs walk,
downstream, audit and report per cell, leaves the finished run as it was, and writes
sweep.csv, sweep.png and sweep.md; a second call does no stage work."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from rich.console import Console

from lightning_privgan.cli import main
from lightning_privgan.config.load import config_from_dict
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.stages import load_stages
from tests.helpers.sweep_cells import UPSTREAM, snapshot
from tests.helpers.experiments import TINY

pytestmark = pytest.mark.slow  # a whole tiny pipeline, then two cells: about a minute on 2 cores


def test_a_tiny_sweep_end_to_end(tmp_path, capsys):
    cfg = config_from_dict({**TINY, "name": "tiny", "runs_root": str(tmp_path),
                            "logger": {"wandb": {"enabled": False}}, "downstream": {"seeds": 2, "epochs": 1}})
    Pipeline(cfg, load_stages(), console=Console(quiet=True)).run()
    run_dir = tmp_path / "tiny"
    before = snapshot(run_dir)
    args = ["sweep", str(run_dir), "--lambda-priv", "0,1", "--optim-steps", "3"]
    assert main(args) == 0
    assert snapshot(run_dir) == before, "the sweep wrote into the finished run"
    out = tmp_path / "tiny-sweep"
    table = pd.read_csv(out / "sweep.csv")
    plan = table[table["source"] == "plan"]
    assert list(plan["cell"]) == ["lambda0_steps3", "lambda1_steps3"] and set(plan["optim_steps"]) == {3}
    for col in ("acc_mean", "acc_low", "acc_high", "near_dup_rate", "closest_distance", "closest_low",
                "paired_closest_mean", "paired_closest_low", "paired_near_dup_high"):
        assert plan[col].map(math.isfinite).all(), col
    assert (plan["seeds"] == 2).all() and (plan["distance"] == "l2").all()
    assert set(table["source"]) == {"plan", "linear", "real"}
    assert (out / "sweep.png").stat().st_size > 10_000 and "| 1 | 3 |" in (out / "sweep.md").read_text()
    cell_plan = {p.stage.name: p.action for p in Pipeline(
        config_from_dict({**TINY, "name": "lambda1_steps3", "runs_root": str(out), "logger": {"wandb": {"enabled": False}},
                          "downstream": {"seeds": 2, "epochs": 1, "sources": ["plan"]},
                          "walk": {**TINY["walk"], "lambda_priv": 1.0, "optim_steps": 3}}),
        load_stages(), console=Console(quiet=True)).plan()}
    assert set(cell_plan.values()) == {"cached"}, cell_plan
    capsys.readouterr()
    assert main([*args, "--dry-run"]) == 0
    listing = capsys.readouterr().out
    assert listing.count("done") == 2 and "to run" not in listing
    assert all((out / "lambda0_steps3" / s / "stage.json").read_bytes() == (run_dir / s / "stage.json").read_bytes()
               for s in UPSTREAM)
