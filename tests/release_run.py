"""A small finished run for the release tests: fabricated upstream stages, a real audit stage.

Untrained networks at 16 px: the figures mean nothing, but every file a release reads is
the one the pipeline writes (config.yaml, stage records, data, gan, auditor, anchors,
walk, downstream models, and audit.json written by the audit stage itself).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from omegaconf import OmegaConf
from rich.console import Console

RES = 16
STAGES = ("data", "gan", "auditor", "anchors", "walk", "downstream", "audit")


def release_run_config(runs_root: Path):
    from lightning_privgan.config.load import config_from_dict

    return config_from_dict({
        "name": "release_test", "runs_root": str(runs_root),
        "trainer": {"accelerator": "cpu", "devices": 1, "progress_bar": False},
        "data": {"source": "phantom_cxr", "resolution": RES, "phantom": {"num_patients": 24, "scans_per_patient": 3}},
        "walk": {"n_steps": 5},
        "downstream": {"sources": ["real", "linear", "plan"], "seeds": 1},
        "audit": {"distances": ["auditor", "ssim", "l2"], "samples_per_source": 12, "shadow_models": 0,
                  "path_pairs": 2, "grid_samples": 4, "batch_size": 32},
    })


def build_release_run(runs_root: Path) -> Path:
    from lightning_privgan.data.phantoms.cxr import make_cxr_phantoms
    from lightning_privgan.data.real_store import RealData
    from lightning_privgan.models.classifier_io import export_classifier
    from lightning_privgan.models.components.generator import Generator
    from lightning_privgan.models.components.image_classifier import ImageClassifier
    from lightning_privgan.models.generator_io import save_generator
    from lightning_privgan.pipeline.stage import StageContext
    from lightning_privgan.stages import audit

    cfg = release_run_config(runs_root)
    run_dir = Path(runs_root) / cfg.name
    ph = make_cxr_phantoms(24, 3, prevalence=0.5, resolution=RES, seed=0)
    patients = sorted(set(ph.patient_ids))
    split_of = {p: ("train" if i < 12 else "holdout" if i < 18 else "val" if i < 20 else "test") for i, p in enumerate(patients)}
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
    torch.save({"w": w, "labels": labels, "groups": [[i] for i in range(6)], "method": "ksame"}, run_dir / "anchors" / "anchors.pt")
    a, b = w[[0, 1, 3, 4]], w[[1, 2, 4, 5]]
    linear = a[:, None] + torch.linspace(0, 1, 5)[None, :, None] * (b - a)[:, None]
    plan = linear.clone()
    plan[:, 1:-1] += 0.3 * torch.randn_like(plan[:, 1:-1])
    (run_dir / "walk").mkdir()
    torch.save({"linear": linear, "plan": plan, "labels": torch.tensor([0, 0, 1, 1]),
                "pairs": torch.tensor([[0, 1], [1, 2], [3, 4], [4, 5]])}, run_dir / "walk" / "paths.pt")
    for source in ("real", "linear", "plan"):
        export_classifier(ImageClassifier("compact", 1, RES, 2, width=4), run_dir / "downstream" / f"model_{source}_0.pt")
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    audit.run(StageContext(cfg, run_dir, "audit", console=Console(quiet=True)))
    for i, stage in enumerate(STAGES):
        (run_dir / stage / "stage.json").write_text(json.dumps({"hash": f"{i:016x}", "token": f"{i:016x}:0"}))
    return run_dir
