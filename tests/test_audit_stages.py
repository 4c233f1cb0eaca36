"""downstream -> audit -> report on a fabricated, tiny run folder (untrained networks, 16 px)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from rich.console import Console

from lightning_privgan.data.phantoms.cxr import make_cxr_phantoms
from lightning_privgan.data.real_store import RealData
from lightning_privgan.models.classifier_io import export_classifier
from lightning_privgan.models.components.generator import Generator
from lightning_privgan.models.components.image_classifier import ImageClassifier
from lightning_privgan.models.generator_io import save_generator
from lightning_privgan.pipeline.stage import StageContext

RES = 16


def _fabricate_upstream(run_dir):
    ph = make_cxr_phantoms(24, 3, prevalence=0.5, resolution=RES, seed=0)
    patients = sorted(set(ph.patient_ids))
    split_of = {p: ("train" if i < 12 else "holdout" if i < 16 else "val" if i < 20 else "test") for i, p in enumerate(patients)}
    manifest = pd.DataFrame({"index": np.arange(len(ph.labels)), "path": [f"p/{i}" for i in range(len(ph.labels))],
                             "label": ph.labels, "patient_id": ph.patient_ids,
                             "split": [split_of[p] for p in ph.patient_ids]})
    data = RealData(images=ph.images, manifest=manifest, class_names=["normal", "disease"])
    data.save(run_dir / "data")
    torch.manual_seed(0)
    G = Generator(z_dim=8, c_dim=2, w_dim=8, img_resolution=RES, img_channels=1, mapping_layers=1, channel_base=64, channel_max=16)
    save_generator(G, run_dir / "gan" / "generator.pt")
    ids = data.train_identities()
    export_classifier(ImageClassifier("compact", 1, RES, len(ids), width=4), run_dir / "auditor" / "model.pt")
    (run_dir / "auditor" / "identities.json").write_text(json.dumps({"identities": ids}))
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    with torch.no_grad():
        w = G.mapping(torch.randn(6, 8), torch.nn.functional.one_hot(labels, 2).float())[:, 0]
    (run_dir / "anchors").mkdir()
    torch.save({"w": w, "labels": labels, "groups": [[i] for i in range(6)]}, run_dir / "anchors" / "anchors.pt")
    a, b = w[[0, 1, 3, 4]], w[[1, 2, 4, 5]]
    t = torch.linspace(0, 1, 5)[None, :, None]
    linear = a[:, None] + t * (b - a)[:, None]
    plan = linear.clone()
    plan[:, 1:-1] += 0.3 * torch.randn_like(plan[:, 1:-1])
    (run_dir / "walk").mkdir()
    torch.save({"linear": linear, "plan": plan, "labels": torch.tensor([0, 0, 1, 1]),
                "pairs": torch.tensor([[0, 1], [1, 2], [3, 4], [4, 5]])}, run_dir / "walk" / "paths.pt")


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
    _fabricate_upstream(run_dir)
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
    from lightning_privgan.audit.membership_audit import downstream_models, summarize_membership

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
