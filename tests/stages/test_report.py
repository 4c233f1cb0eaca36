"""The report is rebuilt from a fabricated results folder alone, and never shows real images by default."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from lightning_privgan.audit.path_curve import summarize_path_distances
from lightning_privgan.audit.report_table import report_table
from lightning_privgan.pipeline.run_format import write_run_format
from lightning_privgan.stages.downstream import summarize_runs
from lightning_privgan.stages.outputs import AuditOutputs, DownstreamOutputs
from lightning_privgan.stages.report import build_report
from tests.helpers.report_inputs import fabricate_report_inputs


def test_report_from_saved_results(tmp_path):
    run_dir = tmp_path / "fab"
    fabricate_report_inputs(run_dir)
    report = build_report(run_dir)
    text = report.read_text()
    assert report == run_dir / "report.md"
    assert "| PLAN | 96 × 64 = 6144 | 0.810 ± 0.010 | 0.850 ± 0.000 | 0.520 ± 0.010 | 0.510 ± 0.020 | — | — | 12.50 | 4.20 ± 1.10 |" in text
    assert "| k-same | 96 × 64 = 6144 (96 distinct) |" in text and "| Real | 96 × 64 = 6144 (288 distinct) |" in text
    assert "trained 96 optimiser steps × 64 images = 6144 images seen" in text
    assert "the same n = 96 images of every source" in text and "50 random subsets of 48 images" in text
    assert "Privacy gate on (threshold 0.0463, calibrated" in text and "linear 30 of 130" in text
    assert "| step | linear | plan | PLAN − linear |" in text and "\n| 5 | " in text  # every step of the 6-point paths
    assert text.index("| Real |") < text.index("| Linear |") < text.index("| PLAN |") < text.index("| k-same |")
    assert "false alarms on holdout patients 0.0300" in text
    assert "## Glossary" in text and "near-dup" in text and "LPIPS skipped" in text
    assert (run_dir / "report" / "path_curve.png").is_file()
    assert (run_dir / "report" / "grid_plan.png").is_file() and (run_dir / "report" / "grid_ksame.png").is_file()
    # No config saved -> the safe default: the real grid is left out, and the report says so.
    assert not (run_dir / "report" / "grid_real.png").exists()
    assert "real images are not shown" in text
    table = pd.read_csv(run_dir / "report" / "table.csv")
    assert table.loc[table.source == "linear", "acc_mean"].item() == pytest.approx(0.71)


def test_real_grid_only_when_allowed(tmp_path):
    for allow in (False, True):
        run_dir = tmp_path / f"fab_{allow}"
        fabricate_report_inputs(run_dir, allow_real=allow)
        build_report(run_dir)
        assert (run_dir / "report" / "grid_real.png").exists() == allow


def test_anchor_row_is_named_after_the_real_anchor_method(tmp_path):
    run_dir = tmp_path / "fab"
    fabricate_report_inputs(run_dir)
    audit = json.loads((run_dir / "privacy_audit" / "audit.json").read_text())
    audit["anchor_method"] = "inverted"
    (run_dir / "privacy_audit" / "audit.json").write_text(json.dumps(audit))
    text = build_report(run_dir).read_text()
    assert "| anchors (inverted) |" in text and "| k-same |" not in text


def test_partial_results_and_empty_folder(tmp_path):
    run_dir = tmp_path / "fab"
    fabricate_report_inputs(run_dir)
    (run_dir / "privacy_audit" / "audit.json").unlink()
    table = report_table(DownstreamOutputs(run_dir / "downstream").summary(), AuditOutputs(run_dir / "privacy_audit").audit())
    assert "fd" not in table.columns and len(table) == 4
    assert "—" in build_report(run_dir).read_text()
    with pytest.raises(FileNotFoundError, match="nothing to report"):
        (tmp_path / "empty").mkdir()
        build_report(tmp_path / "empty")


def test_wandb_report_logs_offline_and_refuses_real_figures(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    from omegaconf import OmegaConf

    from lightning_privgan.audit.real_image_guard import RealImagePolicyError
    from lightning_privgan.audit.wandb_report import log_report

    monkeypatch.setenv("WANDB_MODE", "offline")
    run_dir = tmp_path / "fab"
    fabricate_report_inputs(run_dir)
    (run_dir / "config.yaml").write_text(
        "name: fab\nlogger:\n  wandb:\n    enabled: true\n    mode: offline\n    project: p\n    entity: null\n"
        "logging:\n  allow_real_images: false\n")
    build_report(run_dir)
    assert list((run_dir / "report" / "wandb").glob("offline-run-*"))
    cfg = OmegaConf.load(run_dir / "config.yaml")
    real_png = run_dir / "report" / "grid_plan.png"
    with pytest.raises(RealImagePolicyError):
        log_report(cfg, report_table(DownstreamOutputs(run_dir / "downstream").summary(), AuditOutputs(run_dir / "privacy_audit").audit()), [("real", real_png, "real")], False, run_dir / "report2")
    assert not (run_dir / "report2").exists()


# -- a report never silently replaced by a poorer one (issue 25, item 12) ---------------------------

@pytest.fixture
def privgan(capsys, monkeypatch):
    """`privgan ARGS` in this process: (exit status, stderr)."""
    from lightning_privgan.cli import main

    monkeypatch.delenv("PRIVGAN_DEBUG", raising=False)

    def call(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        return code, capsys.readouterr().err
    return call


def _recorded_run(tmp_path, extra_stages: tuple[str, ...] = ()):
    """Saved results (as fabricate_report_inputs) in a run folder whose config.yaml and stage records are those
    the runner writes: every stage the report reads is current."""
    from omegaconf import OmegaConf

    from tests.helpers.release_run import RECORDED, record_stages, release_run_config

    cfg = release_run_config(tmp_path / "runs")
    run_dir = tmp_path / "runs" / cfg.name
    fabricate_report_inputs(run_dir)
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    record_stages(run_dir, RECORDED + extra_stages)
    return run_dir


def test_report_refuses_missing_outdated_or_in_progress_results_and_keeps_the_good_one(tmp_path, privgan):
    import shutil

    from omegaconf import OmegaConf

    from lightning_privgan.pipeline.run_lock import RunLock
    from tests.helpers.release_run import record_stages

    run_dir = _recorded_run(tmp_path)
    assert privgan("report", run_dir)[0] == 0
    good = (run_dir / "report.md").read_text()
    assert "12.50" in good and "Partial report" not in good

    interrupted = tmp_path / "runs" / "interrupted"
    shutil.copytree(run_dir, interrupted)
    (interrupted / "privacy_audit" / "stage.json").unlink()  # the audit was re-started and killed
    (interrupted / "privacy_audit" / "audit.json").unlink()
    code, err = privgan("report", interrupted)
    assert code == 2 and "stage 'privacy_audit' has no current results" in err and "report.md was left as it is" in err
    assert (interrupted / "report.md").read_text() == good

    rewalked = tmp_path / "runs" / "rewalked"
    shutil.copytree(run_dir, rewalked)
    cfg = OmegaConf.load(rewalked / "config.yaml")
    cfg.walk.optim_steps = 3  # as `privgan run X --only walk walk.optim_steps=3` leaves it
    (rewalked / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
    record_stages(rewalked, ("walk",))
    code, err = privgan("report", rewalked)
    assert code == 2 and "stage 'downstream' has no current results" in err and "privacy_audit (" in err
    assert (rewalked / "report.md").read_text() == good

    with RunLock(run_dir):
        code, err = privgan("report", run_dir)
    assert code == 2 and "is in progress" in err and (run_dir / "report.md").read_text() == good

    # Asked for, a partial report is written, and says first what it lacks.
    assert privgan("report", interrupted, "--partial")[0] == 0
    text = (interrupted / "report.md").read_text()
    assert text.index("> **Partial report**") < text.index("## Utility") and "privacy_audit (" in text


def test_report_of_saved_results_without_a_config_refuses_a_missing_audit(tmp_path, privgan):
    run_dir = tmp_path / "fab"
    fabricate_report_inputs(run_dir)
    assert privgan("report", run_dir)[0] == 0
    good = (run_dir / "report.md").read_text()
    (run_dir / "privacy_audit" / "audit.json").unlink()
    code, err = privgan("report", run_dir)
    assert code == 2 and "privacy_audit (no results yet)" in err and (run_dir / "report.md").read_text() == good


def test_sweep_report_only_refuses_a_grid_with_no_finished_cell(tmp_path, privgan):
    run_dir = _recorded_run(tmp_path, extra_stages=("report",))
    out = tmp_path / "sweep"
    out.mkdir()
    for name in ("sweep.csv", "sweep.md"):
        (out / name).write_text(f"an earlier {name}\n")
    code, err = privgan("sweep", run_dir, "--report-only", "--lambda-priv", "0,1", "--optim-steps", "2", "--out", out)
    assert code == 2, err
    assert "none of the 2 cells of this grid has finished" in err and "left as they were" in err
    assert [(out / n).read_text() for n in ("sweep.csv", "sweep.md")] == ["an earlier sweep.csv\n", "an earlier sweep.md\n"]
