"""What `privgan run` prints: stage lines and results, not Lightning's banners (those go to the log file);
on an error, one paragraph and the log's path."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]
BANNERS = ("GPU available", "TPU available", "Tip:", "Loading `train_dataloader`", "`Trainer.fit` stopped")


def _experiment(tmp_path: Path) -> Path:
    exp = tmp_path / "tiny.yaml"
    exp.write_text(f"name: tiny\nruns_root: {tmp_path / 'runs'}\n"
                   "data:\n  source: phantom_cxr\n  resolution: 16\n  phantom:\n    num_patients: 12\n    scans_per_patient: 3\n"
                   "identity:\n  epochs: 2\n  width: 4\ntrainer:\n  accelerator: cpu\n  progress_bar: true\n")
    return exp


def test_a_stage_prints_its_lines_and_results_and_lightning_goes_to_the_log(tmp_path):
    env = dict(os.environ, NO_ALBUMENTATIONS_UPDATE="1", WANDB_MODE="offline", HF_HUB_OFFLINE="1")
    result = subprocess.run([sys.executable, "-m", "lightning_privgan", "run", str(_experiment(tmp_path)), "--base",
                             str(REPO / "experiments" / "base.yaml"), "--only", "data", "--only", "identity"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    console = result.stdout + result.stderr
    assert not [b for b in BANNERS if b in console], console
    assert "py:" not in result.stderr  # no Lightning UserWarning lines either
    for line in ("─ data", "✓ data done", "─ identity", "identity: re-identification top-1", "✓ identity done"):
        assert line in console
    assert console.count("Epoch ") == 1 and "Epoch 1/1" in console  # one progress bar for the one fit of 2 epochs
    logs = list((tmp_path / "runs" / "tiny" / "logs").glob("*.log"))
    assert len(logs) == 1 and str(logs[0]) in console
    text = logs[0].read_text()
    assert all(b in text for b in BANNERS[:4]) and "stage identity done" in text


def test_an_error_is_one_paragraph_and_the_log_path(tmp_path, monkeypatch, capsys):
    from lightning_privgan import cli
    from lightning_privgan import stages
    from lightning_privgan.pipeline.stage import Stage

    def boom(ctx):
        raise RuntimeError("the disk\n   is on fire")

    monkeypatch.setattr(stages, "load_stages", lambda: [Stage(name="boom", run=boom)])
    monkeypatch.delenv("PRIVGAN_DEBUG", raising=False)
    before = {n: list(logging.getLogger(n).handlers) for n in ("", "pytorch_lightning", "lightning_fabric")}
    code = cli.main(["run", str(_experiment(tmp_path)), "--base", str(REPO / "experiments" / "base.yaml")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    paragraph, log_line = err.strip().split("\n")[:-1], err.strip().split("\n")[-1]
    assert " ".join(paragraph) == "error: stage 'boom' failed: RuntimeError: the disk is on fire"
    log = Path(log_line.split(": ", 1)[1])
    assert log.is_file() and "Traceback" in log.read_text() and "the disk" in log.read_text()
    # The run's logging set-up is undone: a caller's own logging keeps working as before.
    assert before == {n: list(logging.getLogger(n).handlers) for n in before}
