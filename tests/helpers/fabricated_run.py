"""A run folder with the outputs of every stage the audit reads, fabricated in seconds:
phantom data split by patient, a small generator, an untrained auditor, six anchors and
linear / perturbed PLAN paths. Used by the audit stage tests and by the release tests."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from lightning_privgan.data.phantoms.cxr import make_cxr_phantoms
from lightning_privgan.data.real_store import RealData
from lightning_privgan.models.classifier_io import export_classifier
from lightning_privgan.models.components.image_classifier import ImageClassifier
from lightning_privgan.models.generator_io import save_generator
from lightning_privgan.pipeline.run_format import FORMAT_KEY, RUN_FORMAT_VERSION, write_run_format
from lightning_privgan.models.stylegan2.networks import Generator

RES = 16


def fabricate_upstream(run_dir: Path, holdout_until: int = 16, anchors_extra: dict | None = None) -> None:
    """24 phantom patients: 12 train, then holdout up to `holdout_until`, then val to 20, then test."""
    write_run_format(run_dir)  # the runner's stamp: readers of run folders check it
    ph = make_cxr_phantoms(24, 3, prevalence=0.5, resolution=RES, seed=0)
    patients = sorted(set(ph.patient_ids))
    split_of = {p: ("train" if i < 12 else "holdout" if i < holdout_until else "val" if i < 20 else "test") for i, p in enumerate(patients)}
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
    torch.save({"w": w, "labels": labels, "groups": [[i] for i in range(6)], **(anchors_extra or {})},
               run_dir / "anchors" / "anchors.pt")
    a, b = w[[0, 1, 3, 4]], w[[1, 2, 4, 5]]
    t = torch.linspace(0, 1, 5)[None, :, None]
    linear = a[:, None] + t * (b - a)[:, None]
    plan = linear.clone()
    plan[:, 1:-1] += 0.3 * torch.randn_like(plan[:, 1:-1])
    (run_dir / "walk").mkdir()
    torch.save({"linear": linear, "plan": plan, "labels": torch.tensor([0, 0, 1, 1]),
                "pairs": torch.tensor([[0, 1], [1, 2], [3, 4], [4, 5]])}, run_dir / "walk" / "paths.pt")


def record_stages(run_dir: Path, cfg, names: tuple[str, ...]) -> None:
    """stage.json for each of `names` (in stage order) as the runner writes it when a stage
    finishes: the hash of its settings and of the tokens of the stages it read, and the digests
    of its output files, so that the planner (and run_state) find these stages current for `cfg`.
    A stage not in `names` that has a record keeps it, and later stages hash its token."""
    from rich.console import Console

    from lightning_privgan.core.atomic import write_json_atomic
    from lightning_privgan.pipeline.output_digests import DIGESTS, output_digests
    from lightning_privgan.pipeline.runner import RECORD, Pipeline
    from lightning_privgan.stages import load_stages

    pipeline = Pipeline(cfg, load_stages(), console=Console(quiet=True))
    pipeline.run_dir = Path(run_dir)
    tokens: dict[str, str] = {}
    for stage in pipeline.stages:
        if stage.name in names:
            want = pipeline.expected_hash(stage, tokens)
            tokens[stage.name] = f"{want}:0"
            folder = Path(run_dir) / stage.name
            folder.mkdir(parents=True, exist_ok=True)
            write_json_atomic(folder / RECORD, {"hash": want, "token": tokens[stage.name], "seconds": 0.0,
                                                DIGESTS: output_digests(stage.outputs(folder)),
                                                FORMAT_KEY: RUN_FORMAT_VERSION})
        elif pipeline.record(stage.name):
            tokens[stage.name] = pipeline.record(stage.name)["token"]
