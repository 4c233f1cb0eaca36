"""The anchors and walk stages end to end on fakes (real loaders and projector monkeypatched)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from lightning_privgan.data.real_store import RealData
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages import anchors as anchors_stage
from lightning_privgan.stages import walk as walk_stage
from tests.fake_networks import fake_trio, single_thread  # noqa: F401

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    G, id_net, class_net = fake_trio()
    n = 12
    manifest = pd.DataFrame({"index": range(n), "path": [f"{i}.png" for i in range(n)], "label": [0, 1] * 6,
                             "patient_id": [f"p{i // 2}" for i in range(n)], "split": ["train"] * 10 + ["test"] * 2})
    images = torch.randint(0, 256, (n, 1, 16, 16), dtype=torch.uint8)
    RealData(images=images, manifest=manifest, class_names=["a", "b"]).save(tmp_path / "data")

    def fake_project(G_, imgs, labels=None, cfg=None, seed=0, progress=True, **kw):
        w = imgs.flatten(1)[:, :G.w_dim].double().float() + 0.01 * labels[:, None].float()
        return SimpleNamespace(w=w, psnr=torch.full((len(imgs),), 30.0))

    nets = {"identity": id_net, "classifier": class_net, "auditor": id_net}
    monkeypatch.setattr("lightning_privgan.models.generator_io.load_generator", lambda path, device="cpu": G)
    monkeypatch.setattr("lightning_privgan.models.classifier_io.load_classifier",
                        lambda path, map_location="cpu": nets[path.parent.name])
    monkeypatch.setattr("lightning_privgan.models.inversion.project", fake_project)
    return tmp_path


def _ctx(cpu_cfg, run_dir, name, **overrides):
    cfg = cpu_cfg({"anchors": {"method": "ksame", "k": 2, "num_pairs": 5, "max_uses": 2},
                   "walk": {"n_steps": 5, "optim_steps": 3, "pairs_per_chunk": 2}, **overrides})
    return StageContext(cfg=cfg, run_dir=run_dir, name=name)


def test_anchors_then_walk_write_their_artifacts(cpu_cfg, run_dir):
    anchors_stage.run(_ctx(cpu_cfg, run_dir, "anchors"))
    anchors = torch.load(run_dir / "anchors" / "anchors.pt", weights_only=False)
    pairs = torch.load(run_dir / "anchors" / "pairs.pt", weights_only=True)
    train_rows = set(range(10))
    assert sorted(r for g in anchors["groups"] for r in g) == sorted(train_rows)
    assert all(len(g) >= 2 for g in anchors["groups"])
    assert (anchors["labels"][pairs["pairs"][:, 0]] == anchors["labels"][pairs["pairs"][:, 1]]).all()
    assert (run_dir / "anchors" / "anchors.png").stat().st_size > 0

    walk_stage.run(_ctx(cpu_cfg, run_dir, "walk"))
    paths = torch.load(run_dir / "walk" / "paths.pt", weights_only=False)
    P = len(pairs["pairs"])
    assert paths["plan"].shape == paths["linear"].shape == (P, 5, 8)
    assert torch.equal(paths["plan"][:, 0], anchors["w"][pairs["pairs"][:, 0]])
    assert torch.equal(paths["plan"][:, -1], paths["linear"][:, -1])
    assert not torch.equal(paths["plan"], paths["linear"])
    assert len(paths["losses"]["plan"]) == int(np.ceil(P / 2)) and len(paths["losses"]["plan"][0]) == 3
    assert (run_dir / "walk" / "strips.png").is_file() and not (run_dir / "walk" / "partial").exists()


def test_walk_resumes_from_finished_chunks(cpu_cfg, run_dir, monkeypatch):
    anchors_stage.run(_ctx(cpu_cfg, run_dir, "anchors"))
    calls = []
    real_walk = walk_stage.walk

    def crash_on_second_chunk(*args, **kwargs):
        calls.append(kwargs["method"])
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated crash")
        return real_walk(*args, **kwargs)

    monkeypatch.setattr(walk_stage, "walk", crash_on_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        walk_stage.run(_ctx(cpu_cfg, run_dir, "walk"))
    assert len(list((run_dir / "walk" / "partial").iterdir())) == 1
    calls.clear()
    monkeypatch.setattr(walk_stage, "walk", lambda *a, **k: (calls.append(k["method"]), real_walk(*a, **k))[1])
    walk_stage.run(_ctx(cpu_cfg, run_dir, "walk"))
    chunks = int(np.ceil(len(torch.load(run_dir / "anchors" / "pairs.pt")["pairs"]) / 2))
    assert len(calls) == 2 * chunks - 1  # the saved chunk was not walked again


def test_a_stream_built_from_the_run_uses_the_saved_paths_and_the_gate(cpu_cfg, run_dir):
    from lightning_privgan.walk.stream_factory import walker_datamodule_from_run

    anchors_stage.run(_ctx(cpu_cfg, run_dir, "anchors"))
    walk_stage.run(_ctx(cpu_cfg, run_dir, "walk"))
    cfg = cpu_cfg({"stream": {"batch_size": 6, "samples_per_epoch": 12, "gate_threshold": 1e-6}})
    dm = walker_datamodule_from_run(run_dir, cfg, method="plan")
    saved = torch.load(run_dir / "walk" / "paths.pt", weights_only=False)
    assert dm.id_net is None and torch.equal(dm._cache[0], saved["plan"][0])  # nothing left to optimise
    dm.setup("fit")
    images, labels = dm.make_batch(next(iter(dm.train_dataloader())), epoch=0)
    assert images.shape == (6, 1, 16, 16) and dm.gate is not None

