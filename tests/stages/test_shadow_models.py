"""The audit's shadow models train two at a time in worker processes and come back in order."""
from __future__ import annotations

import pytest
import torch
from rich.console import Console

from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages import shadow_models
from lightning_privgan.stages.shadow_models import shadow_trainer
from tests.helpers.gan_phantom_data import write_phantom_data

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)
RES = 16


def _jobs(ctx):
    data = ctx.input("data").real().split("train").read_all()
    half = len(data) // 2
    return [(data.images[:half], data.labels[:half], 11), (data.images[half:], data.labels[half:], 22)]


def _ctx(cpu_cfg, tmp_path, parallel_fits):
    cfg = cpu_cfg({"classifier": {"backbone": "compact", "width": 8, "batch_size": 8},
                   "downstream": {"epochs": 1}, "data": {"resolution": RES},
                   "trainer": {"parallel_fits": parallel_fits}})
    write_phantom_data(tmp_path, num_patients=8, scans=2, resolution=RES)
    return StageContext(cfg, tmp_path, "privacy_audit", console=Console(quiet=True))


def test_shadows_train_side_by_side_and_return_in_order(cpu_cfg, tmp_path):
    ctx = _ctx(cpu_cfg, tmp_path, parallel_fits=2)
    nets = shadow_trainer(ctx, epochs=1)(_jobs(ctx))
    assert len(nets) == 2
    for net, seed in zip(nets, (11, 22)):  # each the best checkpoint of its own job's folder
        best = torch.load(ctx.out / "shadows" / str(seed) / "checkpoints" / "best.ckpt", weights_only=False)
        saved = {k.removeprefix("net."): v for k, v in best["state_dict"].items() if k.startswith("net.")}
        assert all(torch.equal(v, saved[k]) for k, v in net.state_dict().items())
        assert next(net.parameters()).device == torch.device("cpu")


def test_the_trainer_asks_for_trainer_parallel_fits_processes(cpu_cfg, tmp_path, monkeypatch):
    asked = []

    def record(work, ctx, items, processes):
        asked.append((len(items), processes))
        return [torch.nn.Linear(1, 1) for _ in items]

    monkeypatch.setattr(shadow_models, "run_each", record)
    ctx = _ctx(cpu_cfg, tmp_path, parallel_fits=3)
    shadow_trainer(ctx, epochs=None)(_jobs(ctx))
    assert asked == [(2, 3)]
