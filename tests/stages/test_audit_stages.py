"""downstream -> audit -> report on a fabricated, tiny run folder (untrained networks, 16 px)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from lightning_privgan.pipeline.stage import StageContext
from tests.helpers.fabricated_run import RES, fabricate_upstream


@pytest.mark.slow
def test_downstream_audit_report_end_to_end(cpu_cfg, tmp_path):
    cfg = cpu_cfg({
        "data": {"resolution": RES},
        "classifier": {"width": 4, "batch_size": 16},
        "downstream": {"seeds": 1, "epochs": 1},
        "stream": {"samples_per_epoch": 24, "gate": True},
        "audit": {"samples_per_source": 12, "shadow_models": 1, "path_pairs": 3, "grid_samples": 8, "batch_size": 32,
                  "attack_samples": 6, "attack_resamples": 100},
        "gan": {"projection": {"steps": 10}},
    })
    run_dir = tmp_path / "run"
    fabricate_upstream(run_dir)
    from lightning_privgan.stages import privacy_audit as audit, downstream, report

    for module in (downstream, audit, report):
        module.run(StageContext(cfg, run_dir, module.STAGE.name, console=Console(quiet=True)))

    # A finished downstream run is not trained again (resume after an interruption).
    stamps = {p.name: p.stat().st_mtime_ns for p in (run_dir / "downstream").glob("model_*.pt")}
    downstream.run(StageContext(cfg, run_dir, "downstream", console=Console(quiet=True)))
    assert stamps == {p.name: p.stat().st_mtime_ns for p in (run_dir / "downstream").glob("model_*.pt")}

    runs = pd.read_csv(run_dir / "downstream" / "runs.csv")
    assert sorted(runs.source) == ["ksame", "linear", "plan", "real"]
    assert runs.acc.between(0, 1).all()
    # One budget for every source: ceil(24 / 16) = 2 steps of 16 images; k-same cycles its 6 anchors.
    assert runs.steps.tolist() == [2] * 4 and runs.images_seen.tolist() == [32] * 4
    assert runs.set_index("source").loc["ksame", "distinct_images"] == 6
    assert json.loads((run_dir / "downstream" / "budget.json").read_text())["images_seen"] == 32
    assert sorted(p.name for p in (run_dir / "downstream").glob("model_*.pt")) == [
        "model_ksame_0.pt", "model_linear_0.pt", "model_plan_0.pt", "model_real_0.pt"]

    result = json.loads((run_dir / "privacy_audit" / "audit.json").read_text())
    assert set(result["sources"]) == {"real", "linear", "plan", "ksame"}
    assert set(result["sources"]["plan"]["distances"]) == {"auditor", "ssim", "l2"}  # lpips skipped, no weights
    assert any("LPIPS skipped" in s for s in result["skipped"])
    assert result["sources"]["ksame"]["num_samples"] == 6
    # FD and KID at one n for every source: the 6 anchors are the smallest source.
    assert result["fd_samples"] == 6 and {v["n"] for v in result["sources"].values()} == {6}
    assert all(v["kid_std"] >= 0 and v["fd"] >= 0 for v in result["sources"].values())
    # The gate is on: linear/PLAN are audited as released, at the audit's own auditor threshold.
    assert result["gate"]["threshold"] == pytest.approx(result["thresholds"]["auditor"], rel=1e-6)
    assert result["sources"]["plan"]["gate"]["released"] == 12 and result["sources"]["real"]["gate"] is None
    assert result["membership_setup"]["shadow_split"] == "by patient"
    assert set(result["path_curve"]["curves"]) == {"linear", "plan"}
    assert 0 <= result["membership"]["real"]["threshold_balanced_accuracy_mean"] <= 1
    assert "shadow_auc_mean" in result["membership"]["plan"]
    assert not (run_dir / "privacy_audit" / "grid_real.pt").exists()  # real images stay unpublished by default
    assert (run_dir / "privacy_audit" / "path_curve.png").is_file()
    # The release-level attacks ran on every audited synthetic source and on G's random samples.
    attacks = json.loads((run_dir / "privacy_audit" / "release_attacks.json").read_text())
    assert set(attacks["image_sets"]["sources"]) == {"linear", "plan", "ksame", "random"}
    assert set(attacks["image_sets"]["null_controls"]) == {"auditor", "ssim", "l2"}
    assert set(result["release_attacks"]["best"]) == {"linear", "plan", "ksame", "random"}
    assert (run_dir / "privacy_audit" / "roc_closest_record_l2.png").is_file()

    text = (run_dir / "report.md").read_text()
    assert "| PLAN | 2 × 16 = 32 |" in text and "| k-same | 2 × 16 = 32 (6 distinct) |" in text
    assert (run_dir / "report" / "grid_ksame.png").is_file()
    assert "audited as released" in text and "the same n = 6 images of every source" in text
    assert "## Membership attacks on what is released" in text and "Null control" in text
    assert "| G random samples |" in text and "privacy_audit/roc_closest_record_l2.png" in text


def test_holdout_is_split_by_patient_for_evaluation_and_shadows():
    from lightning_privgan.audit.membership import split_holdout_patients

    ids = np.array([f"p{i // 3}" for i in range(30)])
    eval_mask, shadow_mask = split_holdout_patients(ids, seed=1)
    assert (eval_mask ^ shadow_mask).all()  # every image in exactly one part
    assert not set(ids[eval_mask.numpy()]) & set(ids[shadow_mask.numpy()])  # no patient in both
    assert eval_mask.sum() == shadow_mask.sum() == 15


def test_downstream_models_are_found_and_membership_is_averaged_over_seeds(tmp_path):
    from lightning_privgan.stages.outputs import DownstreamOutputs
    from lightning_privgan.audit.membership import summarize_membership

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


def test_random_pair_long_paths_get_a_distance_at_every_step(cpu_cfg, tmp_path):
    """anchors.method=random with 40-point paths (experiments/demo_random_pairs.yaml): the audit measures
    every step of linear and PLAN, and the report lists every step."""
    import torch

    from lightning_privgan.audit.path_curve import PathCurve
    from lightning_privgan.stages.report import step_table
    from lightning_privgan.audit.source_audit import build_reference
    from lightning_privgan.stages.outputs import RunFolder
    from lightning_privgan.stages.outputs import load_walk_artifacts
    from lightning_privgan.data.real_store import RealData
    from lightning_privgan.models.classifier_io import load_classifier
    from lightning_privgan.audit.path_comparison import compare_path_curves

    run_dir = tmp_path / "run"
    fabricate_upstream(run_dir, anchors_extra={"method": "random", "groups": []})
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(3, 8, generator=g), torch.randn(3, 8, generator=g)
    linear = a[:, None] + torch.linspace(0, 1, 40)[None, :, None] * (b - a)[:, None]
    plan = linear.clone()
    plan[:, 1:-1] += 0.2 * torch.randn(3, 38, 8, generator=g)
    torch.save({"linear": linear, "plan": plan, "labels": torch.tensor([0, 1, 1]), "pairs": torch.tensor([[0, 1], [3, 4], [4, 5]])},
               run_dir / "walk" / "paths.pt")
    cfg = cpu_cfg({"data": {"resolution": RES}, "audit": {"path_pairs": 8, "batch_size": 64}})
    train = RealData.load(run_dir / "data").split("train").read_all()
    ref = build_reference(train.images, train.patient_ids, ["auditor"], 0.01,
                          load_classifier(run_dir / "auditor" / "model.pt"), batch_size=cfg.audit.batch_size)
    run = RunFolder(run_dir)
    art = load_walk_artifacts(run.stage("gan"), run.stage("anchors"), run.stage("walk"))
    curves, table, paired = compare_path_curves(art, ref, "auditor", cfg.audit.path_pairs, cfg.walk.noise_mode,
                                                cfg.audit.batch_size, seed=0)
    assert set(curves) == {"linear", "plan"} and all(len(c.mean) == 40 for c in curves.values())
    assert len(table) == 2 * 3 * 40 and table.step.max() == 39
    assert paired["closest_distance"] is not None
    rows = step_table({m: PathCurve(**c.to_dict()) for m, c in curves.items()})
    assert len(rows) == 2 + 40 and rows[-1].startswith("| 39 |")
