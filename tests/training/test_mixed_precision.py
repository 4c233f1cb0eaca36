"""trainer.precision for the GAN (manual optimisation, fp32 regularisers, fp16 loss scaling)
and the classifiers, and R1 through every ADA augmentation at p = 1; CPU only."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from pytorch_lightning.plugins.precision import MixedPrecision
from torch.utils.data import DataLoader, TensorDataset

from tests.helpers.gan_phantom_data import write_phantom_data
from lightning_privgan.core import device_settings
from lightning_privgan.data.real_store import RealData
from lightning_privgan.models.components.image_classifier import ImageClassifier
from lightning_privgan.models.classifier_module import DiagnosticClassifierModule
from lightning_privgan.models.gan_module import GANModule
from lightning_privgan.models.stylegan2.networks import build_gan_networks
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.training.trainer import make_trainer
from lightning_privgan.training.gan_loader import real_train_loader

GAN = {"batch_size": 8, "r1_interval": 1, "pl_weight": 2.0, "pl_interval": 1, "ada_target": 0.0,
       "augment_p": 1.0, "augment_flip": True, "fd_every_kimg": 0, "sample_every_kimg": 0,
       "channel_base": 256, "channel_max": 32}


def _fit_gan(cpu_cfg, tmp_path, precision: str, batches: int = 2, plugins=None):
    if not (tmp_path / "run" / "data").is_dir():
        write_phantom_data(tmp_path / "run", num_patients=10, scans=3, resolution=16)
    cfg = cpu_cfg({"gan": {**GAN, "kimg": 0.008 * batches}, "trainer": {"precision": precision}})
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="gan")
    module = GANModule(*build_gan_networks(cfg.gan, 2, 1, 16), dict(cfg.gan))
    before = {k: v.detach().clone() for k, v in module.state_dict().items()}
    autocast_in_D: list[bool] = []
    module.D.register_forward_pre_hook(lambda m, a: autocast_in_D.append(torch.is_autocast_enabled("cpu")))
    penalties: list[torch.Tensor] = []
    log = module.log
    module.log = lambda name, value, **k: (penalties.append(value) if name == "loss/r1" else None, log(name, value, **k))
    extra = {"precision": None, "plugins": plugins} if plugins else {}
    trainer = make_trainer(ctx, max_epochs=-1, **extra)
    trainer.fit(module, train_dataloaders=real_train_loader(ctx.input("data").real(), 8, 0, seed=0))
    return module, trainer, before, autocast_in_D, penalties


def _changed_and_finite(module, before, prefix: str) -> bool:
    after = {k: v for k, v in module.state_dict().items() if k.startswith(prefix) and v.is_floating_point()}
    return all(torch.isfinite(v).all() for v in after.values()) and any(
        not torch.equal(before[k], v) for k, v in after.items())


@pytest.fixture
def bf16_cpu(monkeypatch):
    """A CPU that computes bf16 natively, as far as the settings know: these tests check the bf16
    code path itself, which a CPU without native bf16 runs correctly too (emulated, only slower),
    where the settings would otherwise fall back to float32 (core/device_settings.py)."""
    monkeypatch.setattr(device_settings, "cpu_runs_natively", lambda dtype: True)


def test_r1_step_with_every_augmentation_at_p1_never_uses_grid_sample(cpu_cfg, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("grid_sample's backward has no derivative on CUDA")

    write_phantom_data(tmp_path / "run", num_patients=10, scans=3, resolution=16)  # the phantoms use grid_sample
    monkeypatch.setattr(F, "grid_sample", refuse)
    module, _, before, _, penalties = _fit_gan(cpu_cfg, tmp_path, "32-true")
    assert float(module.augment.p) == 1.0 and module.batches_done == 2
    assert len(penalties) == 2 and all(torch.isfinite(p) and p > 0 for p in penalties)
    assert _changed_and_finite(module, before, "D.") and _changed_and_finite(module, before, "G.")


def test_gan_bf16_mixed_runs_main_passes_in_autocast_and_regularisers_in_fp32(cpu_cfg, tmp_path, bf16_cpu):
    module, _, before, autocast_in_D, penalties = _fit_gan(cpu_cfg, tmp_path, "bf16-mixed")
    # per batch: G main (1 D call), D main (2), R1 (1, autocast off)
    assert autocast_in_D.count(False) == 2 and autocast_in_D.count(True) == 6
    assert all(p.dtype == torch.float32 and torch.isfinite(p) for p in penalties)
    assert _changed_and_finite(module, before, "D.") and _changed_and_finite(module, before, "G.")
    assert module.pl_mean > 0  # path length ran (fp32) and fed its running mean


def test_gan_16_mixed_scales_the_losses_of_both_optimisers(cpu_cfg, tmp_path):
    scaled: list[float] = []
    original = torch.amp.GradScaler.scale
    monkey = pytest.MonkeyPatch()
    monkey.setattr(torch.amp.GradScaler, "scale", lambda self, t: (scaled.append(self.get_scale()), original(self, t))[1])
    try:
        # Lightning turns 16-mixed into bf16-mixed on CPU; the plugin it builds on a GPU, given by hand:
        fp16 = MixedPrecision("16-mixed", "cpu", scaler=torch.amp.GradScaler("cpu"))
        module, trainer, before, _, penalties = _fit_gan(cpu_cfg, tmp_path, "16-mixed", plugins=[fp16])
    finally:
        monkey.undo()
    assert trainer.precision_plugin.scaler is not None
    # G main, G reg, D main, D reg per batch: every manual_backward went through the scaler
    assert len(scaled) == 8 and all(s > 1 for s in scaled)
    assert all(torch.isfinite(p) for p in penalties)
    assert _changed_and_finite(module, before, "D.") and _changed_and_finite(module, before, "G.")


def test_classifier_step_bf16_mixed(cpu_cfg, tmp_path, bf16_cpu):
    cfg = cpu_cfg({"trainer": {"precision": "bf16-mixed"}})
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="class_guide")
    net = ImageClassifier(backbone="compact", in_channels=1, resolution=16, num_classes=2, width=8)
    module = DiagnosticClassifierModule(net, lr=1e-3, weight_decay=1e-4, monitor="val/acc")
    before = {k: v.clone() for k, v in module.net.state_dict().items()}
    dtypes: list[torch.dtype] = []
    module.net.register_forward_hook(lambda m, a, out: dtypes.append(out.dtype))
    data = TensorDataset(torch.rand(16, 1, 16, 16) * 2 - 1, torch.arange(16) % 2)
    trainer = make_trainer(ctx, max_steps=2, limit_val_batches=0)
    trainer.fit(module, train_dataloaders=DataLoader(data, batch_size=8))
    assert trainer.precision == "bf16-mixed" and dtypes and all(d == torch.bfloat16 for d in dtypes)
    after = module.net.state_dict()
    assert all(torch.isfinite(v).all() for v in after.values() if v.is_floating_point())
    assert any(not torch.equal(before[k], v) for k, v in after.items())
