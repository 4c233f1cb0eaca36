"""The `privgan` command: configuration errors exit 2 with one paragraph, no traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def privgan(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_ALBUMENTATIONS_UPDATE="1", WANDB_MODE="offline")
    return subprocess.run([sys.executable, "-m", "lightning_privgan", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_unknown_key_exits_2_without_traceback(tmp_path):
    (tmp_path / "base.yaml").write_text((REPO / "experiments" / "base.yaml").read_text())
    exp = tmp_path / "typo.yaml"
    exp.write_text("name: typo\nwalk:\n  lambda_prv: 0.2\n")
    result = privgan("run", str(exp), "--dry-run")
    assert result.returncode == 2
    assert "walk.lambda_prv" in result.stderr and str(exp) in result.stderr and "lambda_priv" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_override_exits_2():
    result = privgan("run", "experiments/demo.yaml", "gan.kimg=many", "--dry-run")
    assert result.returncode == 2 and "gan.kimg" in result.stderr and "command line" in result.stderr


def test_a_configuration_error_is_answered_before_lightning_and_the_stages_are_imported():
    probe = ("import sys; from lightning_privgan import cli; code = cli.main(['run', 'experiments/demo.yaml', "
             "'gan.kimg=many']); print(code, sorted(m for m in ('torch', 'pytorch_lightning', "
             "'lightning_privgan.stages') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, NO_ALBUMENTATIONS_UPDATE="1", WANDB_MODE="offline"))
    assert result.stdout.split("\n")[-2] == "2 []", result.stdout + result.stderr[-2000:]


def test_dry_run_prints_config_and_plan_without_running(tmp_path):
    result = privgan("run", "experiments/demo.yaml", f"runs_root={tmp_path}", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "source: phantom_cxr" in result.stdout
    for stage in ("data", "gan", "identity", "class_guide", "walk", "privacy_audit", "report"):
        assert stage in result.stdout
    assert not (tmp_path / "demo").exists()
