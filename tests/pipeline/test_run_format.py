"""Run folders carry a format version: a folder (or stage record) of another version, or of none
(written before versions were recorded), is refused with a message naming it and both versions."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lightning_privgan.stages.outputs import RunFolder
from lightning_privgan.core.atomic import write_text_atomic
from lightning_privgan.pipeline.run_format import FORMAT_FILE, RUN_FORMAT_VERSION, RunFormatError
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.pipeline.stage import Stage

REPO = Path(__file__).resolve().parents[2]


def stages(calls: list[str]):
    def body(name):
        def run(ctx):
            calls.append(name)
            write_text_atomic(ctx.out / "result.txt", name)
        return run

    return [Stage("data", body("data"), config_keys=("data",)),
            Stage("gan", body("gan"), needs=("data",), config_keys=("gan",))]


def _finished(cpu_cfg) -> tuple[object, Path]:
    cfg = cpu_cfg()
    pipe = Pipeline(cfg, stages([]))
    pipe.run()
    return cfg, pipe.run_dir


def test_a_run_records_its_format_version_in_the_folder_and_every_record(cpu_cfg):
    _, run_dir = _finished(cpu_cfg)
    assert json.loads((run_dir / FORMAT_FILE).read_text()) == {"format_version": RUN_FORMAT_VERSION}
    for stage in ("data", "gan"):
        assert json.loads((run_dir / stage / "stage.json").read_text())["format_version"] == RUN_FORMAT_VERSION


@pytest.mark.parametrize("marker, says", [(None, "records no format version"),
                                          ({"format_version": RUN_FORMAT_VERSION + 1}, f"has format version {RUN_FORMAT_VERSION + 1}"),
                                          ("not json", "records no format version")])
def test_a_folder_of_another_or_no_version_is_refused_before_anything_runs(cpu_cfg, marker, says):
    cfg, run_dir = _finished(cpu_cfg)
    if marker is None:
        (run_dir / FORMAT_FILE).unlink()
    else:
        (run_dir / FORMAT_FILE).write_text(marker if isinstance(marker, str) else json.dumps(marker))
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    calls: list[str] = []
    with pytest.raises(RunFormatError) as err:
        Pipeline(cfg, stages(calls)).run(force=["data"])
    message = str(err.value)
    assert f"run folder {run_dir} {says}" in message and f"format version {RUN_FORMAT_VERSION} only" in message
    assert calls == [] and {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before
    with pytest.raises(RunFormatError, match=says):  # the readers of finished runs (report, export, sweep) too
        RunFolder(run_dir).stage("data")


def test_a_stage_record_of_another_version_is_refused_naming_it(cpu_cfg):
    cfg, run_dir = _finished(cpu_cfg)
    record = run_dir / "gan" / "stage.json"
    record.write_text(json.dumps({k: v for k, v in json.loads(record.read_text()).items() if k != "format_version"}))
    with pytest.raises(RunFormatError, match=rf"stage record {record} records no format version"):
        Pipeline(cfg, stages([])).plan()


def test_a_new_or_empty_folder_is_stamped_and_runs(cpu_cfg):
    cfg = cpu_cfg()
    Path(cfg.runs_root, cfg.name, "logs").mkdir(parents=True)  # the CLI opens its log before the first stage
    calls: list[str] = []
    Pipeline(cfg, stages(calls)).run()
    assert calls == ["data", "gan"] and (Path(cfg.runs_root) / cfg.name / FORMAT_FILE).is_file()


def test_the_cli_refuses_an_old_run_folder_in_one_line_with_status_2(tmp_path, capsys):
    from lightning_privgan import cli

    old = tmp_path / "demo"
    (old / "data").mkdir(parents=True)
    (old / "config.yaml").write_text("name: demo\n")
    (old / "data" / "stage.json").write_text(json.dumps({"hash": "0" * 16, "token": "0" * 16 + ":0"}))
    code = cli.main(["run", str(REPO / "experiments" / "demo.yaml"), f"runs_root={tmp_path}", "--dry-run"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"run folder {old} records no format version" in err and not (old / FORMAT_FILE).exists()
