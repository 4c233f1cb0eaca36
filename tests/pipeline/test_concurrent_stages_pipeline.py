"""The real stages side by side: every stage's results equal those of a run one stage after
another (one thread each), bit for bit but for the seconds they took."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from rich.console import Console

from lightning_privgan.config.load import config_from_dict
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.stages import load_stages
from tests.helpers.experiments import TINY

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)


def _without_seconds(value):
    if isinstance(value, dict):
        return {k: _without_seconds(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [_without_seconds(v) for v in value]
    return value


def _outputs(run_dir: Path) -> dict:
    """Every recorded output file of every stage: its digest, or for JSON its content less timings."""
    out = {}
    for record in sorted(run_dir.glob("*/stage.json")):
        for rel, digest in json.loads(record.read_text())["outputs"].items():
            path = record.parent / rel
            key = f"{record.parent.name}/{rel}"
            out[key] = _without_seconds(json.loads(path.read_text())) if path.suffix == ".json" else digest["sha256"]
    return out


def test_the_pipeline_side_by_side_gives_the_results_of_one_stage_after_another(tmp_path, monkeypatch):
    runs = {}
    for slots in (1, 2):
        cfg = config_from_dict({**TINY, "name": f"slots{slots}", "runs_root": str(tmp_path),
                                "logger": {"wandb": {"enabled": False}},
                                "trainer": {**TINY["trainer"], "parallel_stages": slots, "parallel_fits": 1}})
        if slots == 2:  # two slots of one thread each, as on a 2-core machine
            monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
        planned = Pipeline(cfg, load_stages(), console=Console(quiet=True)).run()
        assert [p.action for p in planned] == ["run"] * len(planned)
        runs[slots] = _outputs(tmp_path / f"slots{slots}")
    assert runs[1].keys() == runs[2].keys() and len(runs[1]) > 30
    assert [k for k in runs[1] if runs[1][k] != runs[2][k]] == []
