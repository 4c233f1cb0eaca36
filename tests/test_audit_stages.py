"""downstream -> audit -> report on a fabricated, tiny run folder (untrained networks, 16 px)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from lightning_privgan.pipeline.stage import StageContext
from tests.fabricated_run import RES, fabricate_upstream



@pytest.mark.slow
def test_downstream_audit_report_end_to_end(cpu_cfg, tmp_path):
    cfg = cpu_cfg({
        "data": {"resolution": RES},
        "classifier": {"width": 4, "batch_size": 16},
        "downstream": {"seeds": 1, "epochs": 1},
        "stream": {"samples_per_epoch": 24},
        "audit": {"samples_per_source": 12, "shadow_models": 1, "path_pairs": 3, "grid_samples": 8, "batch_size": 32},
    })
    run_dir = tmp_path / "run"
    fabricate_upstream(run_dir)
    from lightning_privgan.stages import audit, downstream, report

    for module in (downstream, audit, report):
        module.run(StageContext(cfg, run_dir, module.STAGE.name, console=Console(quiet=True)))

    # A finished downstream run is not trained again (resume after an interruption).
    stamps = {p.name: p.stat().st_mtime_ns for p in (run_dir / "downstream").glob("model_*.pt")}
    downstream.run(StageContext(cfg, run_dir, "downstream", console=Console(quiet=True)))
    assert stamps == {p.name: p.stat().st_mtime_ns for p in (run_dir / "downstream").glob("model_*.pt")}

    runs = pd.read_csv(run_dir / "downstream" / "runs.csv")
    assert sorted(runs.source) == ["ksame", "linear", "plan", "real"]
    assert runs.acc.between(0, 1).all()
    # linear/plan trained on the WalkerDataModule stream: samples_per_epoch fresh images per epoch
    assert runs.set_index("source").loc[["linear", "plan"], "train_images"].tolist() == [24, 24]
    assert runs.set_index("source").loc["ksame", "train_images"] == 6
    assert sorted(p.name for p in (run_dir / "downstream").glob("model_*.pt")) == [
        "model_ksame_0.pt", "model_linear_0.pt", "model_plan_0.pt", "model_real_0.pt"]

    result = json.loads((run_dir / "audit" / "audit.json").read_text())
    assert set(result["sources"]) == {"real", "linear", "plan", "ksame"}
    assert set(result["sources"]["plan"]["distances"]) == {"auditor", "ssim", "l2"}  # lpips skipped, no weights
    assert any("LPIPS skipped" in s for s in result["skipped"])
    assert result["sources"]["ksame"]["num_samples"] == 6
    assert set(result["path_curve"]["curves"]) == {"linear", "plan"}
    assert 0 <= result["membership"]["real"]["threshold_balanced_accuracy_mean"] <= 1
    assert "shadow_auc_mean" in result["membership"]["plan"]
    assert not (run_dir / "audit" / "grid_real.pt").exists()  # real images stay unpublished by default
    assert (run_dir / "audit" / "path_curve.png").is_file()

    text = (run_dir / "report.md").read_text()
    assert "| PLAN |" in text and "| k-same |" in text and (run_dir / "report" / "grid_ksame.png").is_file()


def test_holdout_is_split_by_patient_for_evaluation_and_shadows():
    from types import SimpleNamespace

    from lightning_privgan.stages.audit import _split_holdout

    ids = np.array([f"p{i // 3}" for i in range(30)])
    eval_mask, shadow_mask = _split_holdout(SimpleNamespace(patient_ids=ids), seed=1)
    assert (eval_mask ^ shadow_mask).all()  # every image in exactly one part
    assert not set(ids[eval_mask.numpy()]) & set(ids[shadow_mask.numpy()])  # no patient in both
    assert eval_mask.sum() == shadow_mask.sum() == 15


def test_downstream_models_are_found_and_membership_is_averaged_over_seeds(tmp_path):
    from lightning_privgan.artifacts.downstream_outputs import DownstreamOutputs
    from lightning_privgan.audit.membership_audit import summarize_membership

    def downstream_models(folder):
        return DownstreamOutputs(folder).models()

    for name in ("model_plan_0.pt", "model_plan_1.pt", "model_real_0.pt", "model.pt", "model_x_y.pt"):
        (tmp_path / name).touch()
    assert [(s, k) for s, k, _ in downstream_models(tmp_path)] == [("plan", 0), ("plan", 1), ("real", 0)]
    runs = pd.DataFrame({"source": ["plan", "plan", "real"], "seed": [0, 1, 0],
                         "threshold_balanced_accuracy": [0.5, 0.7, 0.9], "threshold_auc": [0.5, 0.5, 0.5]})
    out = summarize_membership(runs)
    assert out["plan"]["threshold_balanced_accuracy_mean"] == pytest.approx(0.6)
    assert out["plan"]["threshold_balanced_accuracy_std"] == pytest.approx(0.1414, abs=1e-3)
    assert out["real"]["runs"] == 1 and out["real"]["threshold_balanced_accuracy_std"] == 0.0
    with pytest.raises(FileNotFoundError, match="downstream"):
        downstream_models(tmp_path / "nothing")
