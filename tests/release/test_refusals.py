"""A release is refused where it would mislead or delete (issue 25, items 7, 14, 15, 16), and says
how far it has got on a large set."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import torch
from omegaconf import OmegaConf
from rich.console import Console

from lightning_privgan.cli import main
from lightning_privgan.pipeline.run_lock import RunLock
from lightning_privgan.pipeline.run_state import RunNotCurrentError, load_run_config, stages_not_current
from lightning_privgan.release import export as export_module
from lightning_privgan.release.checksums import write_checksums
from lightning_privgan.release.export import export_release
from lightning_privgan.release.memory import bytes_per_image, check_export_fits
from lightning_privgan.release.run_inputs import check_run_current
from lightning_privgan.release.verify import verify_release
from lightning_privgan.stages import load_stages
from tests.helpers.release_run import build_release_run, record_stages


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    torch.set_num_threads(1)
    return build_release_run(tmp_path_factory.mktemp("runs"))


def _copy(run_dir: Path, tmp_path: Path, name: str) -> Path:
    run = tmp_path / "runs" / name
    shutil.copytree(run_dir, run)
    return run


@pytest.fixture
def privgan(capsys, monkeypatch):
    """`privgan ARGS` in this process (a fresh interpreter per call costs more than the command):
    (exit status, stdout, stderr)."""
    monkeypatch.delenv("PRIVGAN_DEBUG", raising=False)

    def call(*args) -> subprocess.CompletedProcess:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)
    return call


def _tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _rerun_walk_with_three_steps(run: Path) -> None:
    """What `privgan run X --only walk walk.optim_steps=3` leaves: the new config.yaml and a walk
    record for it, downstream and privacy_audit still those of the old paths."""
    cfg = OmegaConf.load(run / "config.yaml")
    cfg.walk.optim_steps = 3
    (run / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
    record_stages(run, ("walk",))


def test_export_and_verify_refuse_a_run_whose_audit_is_of_other_paths(run_dir, tmp_path, privgan):
    run = _copy(run_dir, tmp_path, "rewalked")
    release = export_release(run, tmp_path / "before", "plan", num=6).folder
    _rerun_walk_with_three_steps(run)

    result = privgan("export", run, "--out", tmp_path / "after", "--num", 6)
    assert result.returncode == 2, result.stderr
    assert "stage 'downstream' is not current" in result.stderr and "privacy_audit (" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "after").exists()
    result = privgan("verify", release, "--against", run)
    assert result.returncode == 2 and "the card holds" not in result.stdout
    assert "stage 'downstream' is not current" in result.stderr
    assert verify_release(release).ok  # the release itself is intact: only the run moved on

    # The runner's own answer, the one --dry-run prints: the walk is current, what follows it is not.
    assert [name for name, _ in stages_not_current(run, load_stages(), ["privacy_audit"])] == ["downstream",
                                                                                               "privacy_audit"]
    assert load_run_config(run).walk.optim_steps == 3


def test_export_refuses_a_run_in_progress(run_dir, tmp_path, privgan):
    run = _copy(run_dir, tmp_path, "running")
    # A run in its downstream stage: the record is gone, the attempt written, the lock held.
    (run / "downstream" / "stage.json").unlink()
    (run / "downstream" / "attempt.json").write_text(json.dumps({"hash": "0" * 16}))
    with RunLock(run):
        result = privgan("export", run, "--out", tmp_path / "release", "--num", 6)
        assert result.returncode == 2, result.stderr
        assert f"{run} is in progress at stage 'downstream'" in result.stderr and str(os.getpid()) in result.stderr
    assert not (tmp_path / "release").exists()
    record_stages(run, ("downstream",))
    # Then in its audit: the stage's folder cleared, audit.json not yet written.
    shutil.rmtree(run / "privacy_audit")
    (run / "privacy_audit").mkdir()
    (run / "privacy_audit" / "attempt.json").write_text(json.dumps({"hash": "0" * 16}))
    with RunLock(run):
        result = privgan("export", run, "--out", tmp_path / "release", "--num", 6)
    assert result.returncode == 2 and "is in progress at stage 'privacy_audit'" in result.stderr, result.stderr
    shutil.rmtree(run / "privacy_audit")
    shutil.copytree(run_dir / "privacy_audit", run / "privacy_audit")  # the run finished, as before
    with RunLock(run):  # a run that holds the lock may replace any result at any moment
        with pytest.raises(RunNotCurrentError, match="is in progress \\(process"):
            export_release(run, tmp_path / "release", "plan", num=6)
        with pytest.raises(RunNotCurrentError, match="is in progress"):
            check_run_current(run, "verify the release against it")  # what verify --against checks first
    assert export_release(run, tmp_path / "release", "plan", num=6).released > 0


def test_overwrite_replaces_only_a_previous_release(run_dir, tmp_path, privgan):
    theirs = tmp_path / "thesis"
    (theirs / "sub").mkdir(parents=True)
    (theirs / "important.txt").write_text("keep")
    (theirs / "sub" / "thesis.tex").write_text("\\chapter{keep}")
    before = _tree(theirs)
    result = privgan("export", run_dir, "--out", theirs, "--num", 6, "--overwrite")
    assert result.returncode == 2 and "--overwrite replaces only a previous release" in result.stderr
    assert "no release.json" in result.stderr and "nothing was deleted" in result.stderr
    assert _tree(theirs) == before and "Traceback" not in result.stderr

    release = export_release(run_dir, tmp_path / "release", "plan", num=6).folder
    (release / "notes.txt").write_text("mine")  # a file someone added to a release folder is theirs
    (release / "drafts").mkdir()
    with pytest.raises(ValueError, match="not part of its release: drafts, notes.txt"):
        export_release(run_dir, release, "plan", num=6, overwrite=True)
    assert (release / "notes.txt").read_text() == "mine"
    (release / "notes.txt").unlink()
    (release / "drafts").rmdir()
    assert export_release(run_dir, release, "plan", num=4, seed=1, overwrite=True).folder == release.resolve()


def test_an_export_too_large_for_memory_is_refused_before_drawing(run_dir, tmp_path, privgan):
    result = privgan("export", run_dir, "--out", tmp_path / "huge", "--num", 10 ** 10)
    assert result.returncode == 2, result.stderr
    assert "export --num 10,000,000,000 would hold about" in result.stderr and "available" in result.stderr
    assert "images fit here: lower --num" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "huge").exists()
    per_image = bytes_per_image((1, 16, 16), 64)
    check_export_fits(1000, (1, 16, 16), 64, available=1000 * per_image)
    with pytest.raises(ValueError, match="about 1,000 images fit here"):
        check_export_fits(1001, (1, 16, 16), 64, available=1000 * per_image)


def test_export_shows_its_progress_and_chunks_change_no_image(run_dir, tmp_path, monkeypatch):
    shown = io.StringIO()
    whole = export_release(run_dir, tmp_path / "whole", "plan", num=150, seed=5,
                           console=Console(file=shown, width=200, force_terminal=False))
    text = shown.getvalue()
    for step in ("reading", "drawing and measuring 150 images", "exact copies", "FD/KID", "PNGs"):
        assert step in text, (step, text)
    monkeypatch.setattr(export_module, "CHUNK", 64)  # three chunks instead of one
    chunked = export_release(run_dir, tmp_path / "chunked", "plan", num=150, seed=5)
    a, b = (pd.read_csv(r.folder / "manifest.csv") for r in (whole, chunked))
    pd.testing.assert_frame_equal(a, b, rtol=1e-5)
    assert all((whole.folder / p).read_bytes() == (chunked.folder / p).read_bytes() for p in a["path"])


def test_verify_notices_class_counts_that_no_longer_match(run_dir, tmp_path):
    folder = export_release(run_dir, tmp_path / "release", "plan", num=20, seed=2).folder
    manifest = pd.read_csv(folder / "manifest.csv")
    row = manifest.index[manifest["label"] == 0][0]
    manifest.loc[row, ["label", "class_name"]] = [1, "disease"]  # relabelled, consistently with release.json's names
    manifest.to_csv(folder / "manifest.csv", index=False)
    write_checksums(folder)
    failed = [name for name, ok, _ in verify_release(folder).checks if not ok]
    assert failed == ["class counts agree with release.json"]
