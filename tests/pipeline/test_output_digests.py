"""A finished stage's output files are checked against the digests in its record: a truncated
or edited file makes the stage (and every later one) re-run, naming the file; untouched files
cost no read. run_state() says which stages are current, outdated, missing or in progress."""
from __future__ import annotations

import os
import time

import pytest
import torch
from rich.console import Console

from lightning_privgan.pipeline.stage_outputs import StageOutputs
from lightning_privgan.pipeline import output_digests
from lightning_privgan.core.atomic import write_text_atomic
from lightning_privgan.pipeline.run_lock import RunLock
from lightning_privgan.pipeline.run_state import run_state
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.pipeline.stage import Stage


class DataOut(StageOutputs):
    stage = "data"
    REQUIRED = ("manifest.csv",)


class WalkOut(StageOutputs):
    stage = "walk"
    REQUIRED = ("paths.pt",)


class DownstreamOut(StageOutputs):
    stage = "downstream"
    REQUIRED = ("runs.csv",)
    CHECKED = ("model_*.pt",)


def make_stages(calls: list[str]):
    def data(ctx):
        calls.append("data")
        write_text_atomic(ctx.out / "manifest.csv", "path,label\na.png,0\nb.png,1\n")

    def walk(ctx):
        calls.append("walk")
        assert ctx.input("data").path("manifest.csv").read_text().count("\n") == 3
        torch.save({"plan": torch.arange(1000.0)}, ctx.out / "paths.pt")

    def downstream(ctx):
        calls.append("downstream")
        torch.load(ctx.input("walk").path("paths.pt"))  # dies on a truncated file, as the real stage did
        torch.save({"w": torch.ones(3)}, ctx.out / "model_plan.pt")
        write_text_atomic(ctx.out / "runs.csv", "source\nplan\n")

    return [Stage("data", data, config_keys=("data",), outputs=DataOut),
            Stage("walk", walk, needs=("data",), config_keys=("walk",), outputs=WalkOut),
            Stage("downstream", downstream, needs=("walk",), config_keys=("downstream",), outputs=DownstreamOut)]


@pytest.fixture
def finished(cpu_cfg):
    calls: list[str] = []
    cfg = cpu_cfg()
    Pipeline(cfg, make_stages(calls)).run()
    assert calls == ["data", "walk", "downstream"]
    calls.clear()
    return cfg, calls, Pipeline(cfg, make_stages(calls)).run_dir


def _later(path):
    """A hand edit comes seconds after the stage wrote the file; a test edits within the file
    system's clock tick (which can be coarse), so its mtime is moved on as an edit's would be."""
    later = time.time() + 10
    os.utime(path, (later, later))


def _plan(cfg, calls):
    return {p.stage.name: p for p in Pipeline(cfg, make_stages(calls), console=Console(quiet=True)).plan()}


def test_truncated_output_reruns_its_stage_and_the_later_ones_naming_the_file(finished):
    cfg, calls, run_dir = finished
    paths = run_dir / "walk" / "paths.pt"
    paths.write_bytes(paths.read_bytes()[:200])
    planned = _plan(cfg, calls)
    assert planned["data"].action == "cached"
    assert planned["walk"].action == "run" and "walk/paths.pt changed since the stage finished" in planned["walk"].reason
    assert planned["downstream"].action == "run"
    Pipeline(cfg, make_stages(calls)).run()
    assert calls == ["walk", "downstream"]
    assert [p.action for p in _plan(cfg, calls).values()] == ["cached"] * 3


def test_edited_label_of_the_same_size_is_found_by_its_digest(finished):
    cfg, calls, run_dir = finished
    manifest = run_dir / "data" / "manifest.csv"
    manifest.write_text(manifest.read_text().replace("a.png,0", "a.png,1"))  # the same size
    _later(manifest)
    planned = _plan(cfg, calls)
    assert planned["data"].action == "run" and planned["data"].reason == (
        "data/manifest.csv changed since the stage finished (its content differs)")
    assert [planned[n].action for n in ("walk", "downstream")] == ["run", "run"]


def test_dry_run_table_names_the_changed_file(finished):
    cfg, calls, run_dir = finished
    (run_dir / "walk" / "paths.pt").unlink()
    console = Console(record=True, width=200)
    pipe = Pipeline(cfg, make_stages(calls), console=console)
    pipe.print_plan(pipe.plan())
    assert "walk/paths.pt is missing since the stage finished" in console.export_text()


def test_a_file_that_appeared_among_the_checked_ones_makes_the_stage_outdated(finished):
    cfg, calls, run_dir = finished
    torch.save({"w": torch.zeros(3)}, run_dir / "downstream" / "model_intruder.pt")
    assert _plan(cfg, calls)["downstream"].reason == "downstream/model_intruder.pt appeared since the stage finished"


def test_a_copy_with_new_mtimes_stays_current_and_untouched_files_are_not_read(finished, monkeypatch):
    cfg, calls, run_dir = finished
    reads: list[str] = []
    real = output_digests.file_sha256
    monkeypatch.setattr(output_digests, "file_sha256", lambda path: reads.append(path.name) or real(path))
    assert [p.action for p in _plan(cfg, calls).values()] == ["cached"] * 3
    assert reads == []  # size and mtime unchanged: no file read
    _later(run_dir / "walk" / "paths.pt")  # a copy that did not keep mtimes
    assert [p.action for p in _plan(cfg, calls).values()] == ["cached"] * 3
    assert reads == ["paths.pt"]


def test_a_record_of_an_earlier_version_without_digests_stays_current(finished):
    import json

    cfg, calls, run_dir = finished
    record = run_dir / "walk" / "stage.json"
    rec = json.loads(record.read_text())
    record.write_text(json.dumps({k: v for k, v in rec.items() if k != "outputs"}))
    assert [p.action for p in _plan(cfg, calls).values()] == ["cached"] * 3


def test_run_state_names_current_outdated_missing_and_in_progress_stages(finished, cpu_cfg):
    cfg, calls, run_dir = finished
    state = run_state(run_dir, cfg, make_stages(calls))
    assert [s.state for s in state.stages] == ["current"] * 3 and state.all_current and state.problem() is None
    paths = run_dir / "walk" / "paths.pt"
    paths.write_bytes(paths.read_bytes()[:200])
    state = run_state(run_dir, cfg, make_stages(calls))
    assert [(s.name, s.state) for s in state.stages] == [("data", "current"), ("walk", "outdated"),
                                                          ("downstream", "outdated")]
    assert state.stages[2].why == "it read walk, which is not current"
    assert state.problem().startswith("stage 'walk' of ") and "walk/paths.pt changed" in state.problem()
    other = cpu_cfg({"downstream": {"seeds": 5}})
    assert run_state(run_dir, other, make_stages(calls)).stages[2].state == "outdated"
    (run_dir / "downstream" / "stage.json").unlink()  # an attempt without a record: interrupted...
    assert run_state(run_dir, cfg, make_stages(calls)).stages[2].why == "interrupted before it finished"
    with RunLock(run_dir):  # ...or, while a run holds the folder, in progress
        state = run_state(run_dir, cfg, make_stages(calls))
        assert state.stages[2].state == "in progress" and not state.all_current
        assert f"in use by process {os.getpid()}" in state.problem() and "(stage 'downstream')" in state.problem()
    assert run_state(run_dir, cfg, make_stages(calls)).in_use_by is None


def test_run_state_reads_the_config_the_run_wrote(finished):
    _, calls, run_dir = finished
    assert run_state(run_dir, stages=make_stages(calls)).all_current  # cfg from run_dir/config.yaml
    with pytest.raises(FileNotFoundError, match="no config.yaml"):
        run_state(run_dir / "data", stages=make_stages(calls))


def test_the_real_stages_check_the_files_later_stages_read(tmp_path):
    from tests.helpers.fabricated_run import fabricate_upstream

    from lightning_privgan.stages.outputs import RunFolder

    fabricate_upstream(tmp_path)
    run = RunFolder(tmp_path)
    assert {"manifest.csv", "classes.json", "images.u8", "images.json"} <= set(run.stage("data").checked_files())
    assert run.stage("gan").checked_files() == ["generator.pt"]
    assert run.stage("walk").checked_files() == ["paths.pt"]
    assert set(run.stage("anchors").checked_files()) == {"anchors.pt"}


def test_cli_dry_run_of_a_run_whose_manifest_was_edited_says_what_reruns(tmp_path, capsys, monkeypatch):
    from tests.helpers.fabricated_run import fabricate_upstream, record_stages
    from omegaconf import OmegaConf

    from lightning_privgan import cli
    from lightning_privgan.config.load import config_from_dict

    cfg = config_from_dict({"name": "edited", "runs_root": str(tmp_path / "runs"),
                            "trainer": {"accelerator": "cpu", "devices": 1, "progress_bar": False},
                            "data": {"source": "phantom_cxr", "resolution": 16}})
    run_dir = tmp_path / "runs" / "edited"
    fabricate_upstream(run_dir)
    record_stages(run_dir, cfg, ("data", "gan"))
    experiment = tmp_path / "edited.yaml"
    experiment.write_text(OmegaConf.to_yaml(cfg, resolve=True))
    monkeypatch.setenv("COLUMNS", "250")
    assert cli.main(["run", str(experiment), "--base", str(experiment), "--dry-run"]) == 0
    table = capsys.readouterr().out
    assert [line.split("│")[2].strip() for line in table.splitlines() if line.startswith(("│ data ", "│ gan "))] == \
        ["cached", "cached"]
    manifest = run_dir / "data" / "manifest.csv"
    rows = manifest.read_text().splitlines()
    label = rows[0].split(",").index("label")
    first = rows[1].split(",")
    first[label] = "1" if first[label] == "0" else "0"  # one label flipped: the same size
    manifest.write_text("\n".join([rows[0], ",".join(first), *rows[2:]]) + "\n")
    _later(manifest)
    assert cli.main(["run", str(experiment), "--base", str(experiment), "--dry-run"]) == 0
    table = capsys.readouterr().out
    assert "data/manifest.csv changed since the stage finished (its content differs)" in table
    assert [line.split("│")[2].strip() for line in table.splitlines() if line.startswith(("│ data ", "│ gan "))] == \
        ["run", "run"]


def test_no_stage_checks_the_runner_s_own_records(tmp_path):
    from lightning_privgan.stages import load_stages

    for stage in load_stages():
        folder = tmp_path / stage.name
        folder.mkdir()
        for name in ("stage.json", "attempt.json", *stage.outputs.REQUIRED):
            (folder / name).write_text("{}")
        checked = stage.outputs(folder).checked_files()
        assert "stage.json" not in checked and "attempt.json" not in checked, stage.name


def test_a_stage_that_needs_a_changed_unselected_stage_is_refused_naming_the_file(finished):
    cfg, calls, run_dir = finished
    paths = run_dir / "walk" / "paths.pt"
    paths.write_bytes(paths.read_bytes()[:200])
    with pytest.raises(ValueError, match=r"needs walk, whose results are missing or outdated \(walk: walk/paths.pt "
                                         r"changed since the stage finished \(\d+ -> 200 bytes\)\); run them first"):
        Pipeline(cfg, make_stages(calls)).run(only=["downstream"])
    assert calls == []


def test_a_truncated_paths_file_that_is_read_anyway_is_named(tmp_path):
    from tests.helpers.fabricated_run import fabricate_upstream

    from lightning_privgan.stages.outputs import RunFolder
    from lightning_privgan.pipeline.stage_outputs import UnreadableArtifactError

    fabricate_upstream(tmp_path)
    paths = tmp_path / "walk" / "paths.pt"
    paths.write_bytes(paths.read_bytes()[:200])  # e.g. a record of an earlier version, without digests
    with pytest.raises(UnreadableArtifactError, match=r"walk/paths.pt does not load \(RuntimeError: .*\); "
                                                      r"re-run the 'walk' stage \(privgan run <experiment> --force walk\)"):
        RunFolder(tmp_path).stage("walk").paths()
