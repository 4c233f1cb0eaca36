"""The stage runner: order, caching by hash, invalidation, --only/--from/--force, resume, atomic writes."""
from __future__ import annotations

import pytest

from lightning_privgan.config.errors import ConfigError
from lightning_privgan.core.atomic import atomic_path, write_text_atomic
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.core.seeds import derive_seed
from lightning_privgan.pipeline.stage import Stage
from tests.helpers.stand_in_stages import make_stages


def test_runs_in_order_then_caches(cpu_cfg):
    calls: list[str] = []
    cfg = cpu_cfg()
    Pipeline(cfg, make_stages(calls)).run()
    assert calls == ["data", "gan", "walk"]
    planned = Pipeline(cfg, make_stages(calls)).run()
    assert calls == ["data", "gan", "walk"] and [p.action for p in planned] == ["cached"] * 3


def test_changed_setting_reruns_that_stage_and_its_dependents(cpu_cfg):
    calls: list[str] = []
    Pipeline(cpu_cfg(), make_stages(calls)).run()
    calls.clear()
    Pipeline(cpu_cfg({"gan": {"kimg": 1.0}}), make_stages(calls)).run()
    assert calls == ["gan", "walk"]


def test_seed_changes_every_stage(cpu_cfg):
    calls: list[str] = []
    Pipeline(cpu_cfg(), make_stages(calls)).run()
    calls.clear()
    Pipeline(cpu_cfg({"seed": 1}), make_stages(calls)).run()
    assert calls == ["data", "gan", "walk"]


def test_force_reruns_stage_and_invalidates_dependents(cpu_cfg):
    calls: list[str] = []
    cfg = cpu_cfg()
    Pipeline(cfg, make_stages(calls)).run()
    calls.clear()
    Pipeline(cfg, make_stages(calls)).run(force=["gan"])
    assert calls == ["gan", "walk"]


def test_only_and_from(cpu_cfg):
    calls: list[str] = []
    cfg = cpu_cfg()
    with pytest.raises(ValueError, match="needs gan"):
        Pipeline(cfg, make_stages(calls)).run(only=["walk"])
    Pipeline(cfg, make_stages(calls)).run(only=["data", "gan"])
    assert calls == ["data", "gan"]
    calls.clear()
    Pipeline(cfg, make_stages(calls)).run(start="gan", force=["gan"])
    assert calls == ["gan", "walk"]
    with pytest.raises(ConfigError, match="--only gann: unknown stage"):
        Pipeline(cfg, make_stages(calls)).plan(only=["gann"])


def test_interrupted_stage_keeps_its_folder_for_resume(cpu_cfg):
    calls: list[str] = []
    cfg = cpu_cfg()
    with pytest.raises(RuntimeError):
        Pipeline(cfg, make_stages(calls, fail={"gan"})).run()
    pipe = Pipeline(cfg, make_stages(calls))
    assert (pipe.run_dir / "gan" / "partial.txt").exists()
    assert not (pipe.run_dir / "gan" / "stage.json").exists()
    planned = {p.stage.name: p for p in pipe.plan()}
    assert planned["data"].action == "cached" and planned["gan"].reason == "resume interrupted run"


def test_outdated_folder_is_cleared_before_rerun(cpu_cfg):
    calls: list[str] = []
    Pipeline(cpu_cfg(), make_stages(calls)).run()
    pipe = Pipeline(cpu_cfg({"walk": {"n_steps": 8}}), make_stages(calls))
    (pipe.run_dir / "walk" / "stale.txt").write_text("from other settings")
    pipe.run()
    assert not (pipe.run_dir / "walk" / "stale.txt").exists()


def test_resolved_config_written(cpu_cfg):
    cfg = cpu_cfg()
    pipe = Pipeline(cfg, make_stages([]))
    pipe.run(only=["data"])
    assert "phantom_cxr" in (pipe.run_dir / "config.yaml").read_text()


def test_stage_needing_a_later_stage_is_rejected(cpu_cfg):
    stages = make_stages([])
    with pytest.raises(ValueError, match="not earlier stages"):
        Pipeline(cpu_cfg(), [stages[1], stages[0]])


def test_atomic_write_leaves_nothing_on_crash(tmp_path):
    target = tmp_path / "artifact.pt"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash")
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_derived_seeds_are_distinct_and_stable():
    assert derive_seed(0, "gan") == derive_seed(0, "gan")
    assert len({derive_seed(0, s) for s in ("data", "gan", "walk")}) == 3
    assert derive_seed(0, "gan") != derive_seed(1, "gan")


def test_dotted_config_key_hashes_one_setting(cpu_cfg):
    calls: list[str] = []
    stages = make_stages(calls)
    stages[1] = Stage("gan", stages[1].run, needs=("data",), config_keys=("gan", "audit.inception_weights"))
    Pipeline(cpu_cfg(), stages).run()
    calls.clear()
    Pipeline(cpu_cfg({"audit": {"shadow_models": 5}}), stages).run()
    assert calls == []
    Pipeline(cpu_cfg({"audit": {"inception_weights": "/w/inception.pt"}}), stages).run()
    assert calls == ["gan", "walk"]
