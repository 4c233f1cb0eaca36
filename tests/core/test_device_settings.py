"""trainer.tf32 / cudnn_benchmark / channels_last / precision reach the Lightning trainer."""
from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from lightning_privgan.config.errors import ConfigError
from lightning_privgan.core.device_settings import use_channels_last
from lightning_privgan.models.classifier_module import DiagnosticClassifierModule
from lightning_privgan.models.components.image_classifier import ImageClassifier
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.training.trainer import make_trainer


@pytest.fixture(autouse=True)
def _restore_backend_flags():
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark)
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark = saved


def _ctx(cfg, tmp_path):
    return StageContext(cfg=cfg, run_dir=tmp_path / "run", name="class_guide")


@pytest.mark.parametrize("tf32", [True, False])
def test_tf32_flag_set_by_make_trainer(cpu_cfg, tmp_path, tf32):
    make_trainer(_ctx(cpu_cfg({"trainer": {"tf32": tf32}}), tmp_path))
    assert torch.backends.cuda.matmul.allow_tf32 is tf32 and torch.backends.cudnn.allow_tf32 is tf32


@pytest.mark.parametrize("benchmark,deterministic,expected", [(True, False, True), (False, False, False),
                                                              (True, True, False)])
def test_cudnn_benchmark_off_when_deterministic(cpu_cfg, tmp_path, benchmark, deterministic, expected):
    cfg = cpu_cfg({"trainer": {"cudnn_benchmark": benchmark, "deterministic": deterministic}})
    make_trainer(_ctx(cfg, tmp_path))
    assert torch.backends.cudnn.benchmark is expected


@pytest.mark.parametrize("channels_last,expected", [(True, True), (False, False), (None, True)])
def test_channels_last_converts_conv_weights_before_training(cpu_cfg, tmp_path, channels_last, expected):
    """null (the default) is channels-last on a CPU: these tests run on one."""
    ctx = _ctx(cpu_cfg({"trainer": {"channels_last": channels_last}}), tmp_path)
    module = DiagnosticClassifierModule(ImageClassifier(backbone="compact", in_channels=1, resolution=16, num_classes=2,
                                                       width=8), lr=1e-3, weight_decay=1e-4, monitor="val/acc")
    data = TensorDataset(torch.rand(8, 1, 16, 16) * 2 - 1, torch.arange(8) % 2)
    make_trainer(ctx, max_steps=1, limit_val_batches=0).fit(module, train_dataloaders=DataLoader(data, batch_size=8))
    convs = [p for p in module.parameters() if p.ndim == 4 and p.shape[1] > 1 and p.shape[-1] > 1]
    assert convs and all(p.is_contiguous(memory_format=torch.channels_last) is expected for p in convs)
    assert all(torch.isfinite(p).all() for p in module.parameters())


def test_unknown_precision_is_a_config_error(cpu_cfg):
    with pytest.raises(ConfigError, match="trainer.precision.*'16'"):
        cpu_cfg({"trainer": {"precision": "16"}})


@pytest.mark.parametrize("setting,accelerator,cuda,expected", [
    (None, "cpu", False, True), (None, "auto", False, True), (None, "gpu", True, False), (None, "auto", True, False),
    (True, "gpu", True, True), (False, "cpu", False, False)])
def test_channels_last_null_means_on_a_cpu_and_off_on_a_gpu(monkeypatch, setting, accelerator, cuda, expected):
    from types import SimpleNamespace
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert use_channels_last(SimpleNamespace(channels_last=setting, accelerator=accelerator)) is expected
