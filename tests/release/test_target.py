"""`privgan export --out`: never deletes a user's files or a run (issue #14, item 1), clear errors (item 9)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lightning_privgan import cli
from lightning_privgan.pipeline.run_format import write_run_format
from lightning_privgan.release.target import ReleaseTargetError, check_release_target

def _fake_run(folder: Path) -> Path:
    """The files `export` checks before choosing its target (their content is never read here)."""
    for rel in ("config.yaml", "auditor/model.pt", "auditor/identities.json", "privacy_audit/audit.json"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text("x")
    (folder / "privacy_audit" / "stage.json").write_text("{}")
    write_run_format(folder)
    return folder


@pytest.fixture
def export(capsys, monkeypatch):
    """`privgan export RUN --out OUT ...` in this process (tests/cli covers the console entry point):
    its exit status and what it printed."""
    monkeypatch.delenv("PRIVGAN_DEBUG", raising=False)

    def run(run_dir: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
        capsys.readouterr()
        code = cli.main(["export", str(run_dir), "--out", str(out), *extra])
        printed = capsys.readouterr()
        return subprocess.CompletedProcess("export", code, printed.out, printed.err)
    return run


def _tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_export_refuses_a_non_empty_folder_and_keeps_its_files(tmp_path, export):
    run = _fake_run(tmp_path / "runs" / "demo")
    out = tmp_path / "x"
    out.mkdir()
    (out / "a.txt").write_text("keep")
    result = export(run, out)
    assert result.returncode == 2 and "is not empty" in result.stderr and "--overwrite" in result.stderr
    assert "Traceback" not in result.stderr and (out / "a.txt").read_text() == "keep"


@pytest.mark.parametrize("where", ["the run", "inside the run", "above the run"])
def test_export_never_writes_over_a_run_even_with_overwrite(tmp_path, where, export):
    run = _fake_run(tmp_path / "runs" / "demo")
    out = {"the run": run, "inside the run": run / "gan" / "release", "above the run": tmp_path / "runs"}[where]
    before = _tree(tmp_path)
    result = export(run, out, "--overwrite")
    assert result.returncode == 2 and "run folder" in result.stderr and "Traceback" not in result.stderr
    assert _tree(tmp_path) == before


def test_export_to_a_file_is_a_clear_error(tmp_path, export):
    run = _fake_run(tmp_path / "runs" / "demo")
    (tmp_path / "notes.txt").write_text("keep")
    for out, message in ((tmp_path / "notes.txt", "is a file, not a folder"),
                         (tmp_path / "notes.txt" / "release", "notes.txt is a file")):
        result = export(run, out)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "keep"


def test_other_run_folders_are_recognised_too(tmp_path):
    other = _fake_run(tmp_path / "runs" / "other")
    with pytest.raises(ReleaseTargetError, match="lies inside the run folder"):
        check_release_target(other / "sub", run_dir=tmp_path / "runs" / "demo")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "old.txt").write_text("x")
    _fake_run(tmp_path / "shared" / "deep" / "run")
    with pytest.raises(ReleaseTargetError, match="contains the run folder"):
        check_release_target(tmp_path / "shared", overwrite=True)
    (tmp_path / "empty").mkdir()
    assert check_release_target(tmp_path / "empty") == (tmp_path / "empty").resolve()
    assert check_release_target(tmp_path / "new" / "release") == (tmp_path / "new" / "release").resolve()
