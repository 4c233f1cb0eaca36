"""A run folder for the anchors and walk stages, with fake networks instead of trained ones.

`write_real_data` writes the data stage's output; `install_fake_networks(setattr)` makes the
loaders return seeded fakes and the projector a cheap deterministic map. The test fixtures pass
pytest's monkeypatch.setattr; the DDP worker, a process of its own, passes a plain setattr.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import pandas as pd
import torch

from lightning_privgan.data.real_store import RealData
from tests.helpers.fake_networks import fake_trio

# Settings that keep anchors + walk to a few seconds on one thread.
STAGE_OVERRIDES = {"anchors": {"method": "ksame", "k": 2, "num_pairs": 5, "max_uses": 2},
                   "walk": {"n_steps": 5, "optim_steps": 3, "pairs_per_chunk": 2}}


def write_real_data(run_dir: Path, n: int = 12) -> None:
    manifest = pd.DataFrame({"index": range(n), "path": [f"{i}.png" for i in range(n)], "label": [0, 1] * (n // 2),
                             "patient_id": [f"p{i // 2}" for i in range(n)], "split": ["train"] * (n - 2) + ["test"] * 2})
    images = torch.randint(0, 256, (n, 1, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    RealData(images=images, manifest=manifest, class_names=["a", "b"]).save(run_dir / "data")


def install_fake_networks(setattr_: Callable[[str, object], None]) -> None:
    G, id_net, class_net = fake_trio()

    def fake_project(G_, imgs, labels=None, cfg=None, seed=0, progress=True, **kw):
        w = imgs.flatten(1)[:, :G.w_dim].double().float() + 0.01 * labels[:, None].float()
        return SimpleNamespace(w=w, psnr=torch.full((len(imgs),), 30.0))

    nets = {"identity": id_net, "class_guide": class_net, "auditor": id_net}
    # The stages load networks through their inputs' typed outputs.
    setattr_("lightning_privgan.stages.outputs.GanOutputs.generator", lambda self, device="cpu", channels_last=False: G)
    setattr_("lightning_privgan.stages.outputs.ClassifierOutputs.model",
             lambda self, device="cpu": nets[self.stage])
    setattr_("lightning_privgan.models.inversion.project", fake_project)


def setattr_by_path(target: str, value: object) -> None:
    """monkeypatch.setattr('pkg.module.name', value) without pytest, for subprocesses."""
    import importlib

    owner, name = target.rsplit(".", 1)
    try:
        setattr(importlib.import_module(owner), name, value)
    except ModuleNotFoundError:  # a class attribute: pkg.module.Class.name
        module, cls = owner.rsplit(".", 1)
        setattr(getattr(importlib.import_module(module), cls), name, value)
