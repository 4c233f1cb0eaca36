"""GAN training: the stage's outputs, kimg-based stopping, resume, and DDP on two CPU processes."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import torch

from tests.helpers.gan_phantom_data import write_phantom_data
from lightning_privgan.models.generator_io import load_generator
from lightning_privgan.pipeline.stage import StageContext
from tests.helpers.gan_phantom_data import FAST_GAN

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]


def _ctx(cfg, tmp_path) -> StageContext:
    return StageContext(cfg=cfg, run_dir=tmp_path / "run", name="gan")


def test_gan_stage_writes_outputs_and_stops_at_kimg(cpu_cfg, tmp_path):
    from lightning_privgan.stages.gan import STAGE

    write_phantom_data(tmp_path / "run", num_patients=10, scans=3, resolution=16)
    cfg = cpu_cfg({"gan": {**FAST_GAN, "kimg": 0.048, "sample_every_kimg": 0.024, "fd_every_kimg": 0.024,
                           "pl_weight": 2.0, "pl_interval": 2}})
    STAGE.run(_ctx(cfg, tmp_path))
    out = tmp_path / "run" / "gan"
    curve = pd.read_csv(out / "fd_curve.csv")
    assert list(curve.columns) == ["kimg", "fd", "extractor"]
    assert curve["kimg"].tolist() == pytest.approx([0.0, 0.024, 0.048])  # starts at the untrained G
    assert (curve["extractor"] == "offline").all() and curve["fd"].ge(0).all()
    assert len(list((out / "samples").glob("*.png"))) == 3
    G = load_generator(out / "generator.pt")
    assert G.img_resolution == 16 and G.c_dim == 2
    summary = (out / "summary.json").read_text()
    assert '"kimg": 0.048' in summary and '"fd_extractor": "offline"' in summary
    ckpt = torch.load(out / "checkpoints" / "last.ckpt", weights_only=False)
    assert ckpt["gan_progress"]["nimg"] == 48 and "augment.p" in ckpt["state_dict"]
    assert any(k.startswith("G_ema.") for k in ckpt["state_dict"]) and len(ckpt["optimizer_states"]) == 2


def test_gan_resume_continues_kimg(cpu_cfg, tmp_path):
    from lightning_privgan.models.gan_module import GANModule
    from lightning_privgan.models.stylegan2.networks import build_gan_networks
    from lightning_privgan.training.trainer import fit_resumable, make_trainer
    from lightning_privgan.training.gan_loader import real_train_loader
    from lightning_privgan.data.real_store import RealData

    write_phantom_data(tmp_path / "run", num_patients=10, scans=3, resolution=16)
    cfg = cpu_cfg({"gan": {**FAST_GAN, "kimg": 0.04, "fd_every_kimg": 0, "sample_every_kimg": 0}})
    ctx = _ctx(cfg, tmp_path)
    data = ctx.input("data").real()
    gan = dict(cfg.gan)

    def fit(max_steps=-1):
        module = GANModule(*build_gan_networks(cfg.gan, 2, 1, 16), gan)
        loader = real_train_loader(data, 8, 0, seed=0)
        trainer = make_trainer(ctx, max_epochs=-1, max_steps=max_steps)
        fit_resumable(trainer, module, train_dataloaders=loader)
        return module

    # Interrupt: Lightning's max_steps counts optimiser steps (G, D and R1 steps), not batches.
    first = fit(max_steps=5)
    assert 0 < first.nimg < 40
    assert torch.load(ctx.out / "checkpoints" / "last.ckpt", weights_only=False)["gan_progress"]["nimg"] == first.nimg
    resumed = fit()
    assert resumed.nimg == 40 and resumed.batches_done == 5
    ema_before = {k: v.clone() for k, v in first.G_ema.state_dict().items()}
    assert any(not torch.equal(ema_before[k], v) for k, v in resumed.G_ema.state_dict().items())


DDP_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from tests.helpers.gan_phantom_data import write_phantom_data
    from lightning_privgan.config.load import config_from_dict
    from lightning_privgan.pipeline.stage import StageContext
    from lightning_privgan.stages.gan import STAGE
    run = Path({run!r})
    if not (run / "data" / "images.json").exists():
        write_phantom_data(run, num_patients=10, scans=3, resolution=16)
    cfg = config_from_dict({{"trainer": {{"accelerator": "cpu", "devices": 2, "strategy": "ddp", "progress_bar": False}},
                            "gan": {gan!r}}})
    STAGE.run(StageContext(cfg=cfg, run_dir=run, name="gan"))
""")


@pytest.mark.slow
def test_gan_trains_with_ddp_on_two_cpu_processes(tmp_path):
    run = tmp_path / "run"
    write_phantom_data(run, num_patients=10, scans=3, resolution=16)
    gan = {**FAST_GAN, "kimg": 0.032, "fd_every_kimg": 0.016, "sample_every_kimg": 0.016}
    script = tmp_path / "ddp_gan.py"
    script.write_text(DDP_SCRIPT.format(tests=str(REPO), run=str(run), gan=gan))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "WANDB_MODE": "offline"}
    proc = subprocess.run(["timeout", "-k", "5", "120", sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ckpt = torch.load(run / "gan" / "checkpoints" / "last.ckpt", weights_only=False)
    assert ckpt["gan_progress"]["nimg"] == 32  # global batch 8 = 2 ranks x 4
    assert ckpt["gan_progress"]["batches_done"] == 4
    assert (run / "gan" / "generator.pt").exists()
