"""Reduced precision on a CPU (walk.autocast, trainer.precision, gan.mixed_precision) runs only where
the CPU has it natively; elsewhere float32, with a warning that says why. The capability probe is
patched both ways, so the test means the same on a CPU with or without native bf16."""
from __future__ import annotations

import warnings

import pytest
import torch

from lightning_privgan.models.gan_module import GANModule
from lightning_privgan.models.stylegan2.networks import build_gan_networks
from lightning_privgan.core import device_settings
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.training.trainer import make_trainer
from lightning_privgan.config.sections.walk import WalkConfig
from lightning_privgan.walk.paths import walk
from tests.helpers.cpu_precision import cpu_has_native  # noqa: F401
from tests.helpers.fake_networks import fake_trio, single_thread  # noqa: F401

# the warning's category (a plain UserWarning before this check existed, so the old code fails on behaviour)
ReducedPrecisionFallback = getattr(device_settings, "ReducedPrecisionFallback", UserWarning)


def _walk(mode: str) -> torch.Tensor:
    G, id_net, class_net = fake_trio()
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, G.w_dim, generator=g), torch.randn(2, G.w_dim, generator=g)
    return walk(G, a, b, torch.tensor([0, 1]), WalkConfig(n_steps=4, optim_steps=5, lr=0.05, autocast=mode),
                id_net, class_net, progress=False)


@pytest.mark.usefixtures("single_thread")
def test_walk_bf16_on_a_cpu_without_native_bf16_walks_in_float32_and_says_why(cpu_has_native):
    cpu_has_native(False)
    with pytest.warns(ReducedPrecisionFallback, match=r"walk.autocast=bf16: this CPU has no native bfloat16 "
                                                      r"\(torch reports capability \w+.*float32 instead"):
        fallback = _walk("bf16")
    torch.testing.assert_close(fallback, _walk("none"), rtol=0, atol=0)  # bit for bit the float32 walk


@pytest.mark.usefixtures("single_thread")
def test_walk_bf16_with_native_bf16_is_unchanged(cpu_has_native):
    cpu_has_native(True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReducedPrecisionFallback)
        bf16 = _walk("bf16")
    assert not torch.equal(bf16, _walk("none"))  # autocast really ran: bf16 is not bit-exact


def _trainer(cpu_cfg, tmp_path, precision: str):
    cfg = cpu_cfg({"trainer": {"precision": precision}})
    return make_trainer(StageContext(cfg=cfg, run_dir=tmp_path / "run", name="class_guide"))


@pytest.mark.parametrize("precision", ["bf16-mixed", "16-mixed"])
def test_trainer_reduced_precision_on_a_cpu_without_native_bf16_trains_in_32_true(cpu_cfg, tmp_path, cpu_has_native,
                                                                                   precision):
    cpu_has_native(False)
    with pytest.warns(ReducedPrecisionFallback, match=f"trainer.precision={precision}: this CPU has no native"):
        trainer = _trainer(cpu_cfg, tmp_path, precision)
    assert trainer.precision == "32-true"


def test_trainer_bf16_mixed_with_native_bf16_is_unchanged(cpu_cfg, tmp_path, cpu_has_native):
    cpu_has_native(True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReducedPrecisionFallback)
        assert _trainer(cpu_cfg, tmp_path, "bf16-mixed").precision == "bf16-mixed"
        assert _trainer(cpu_cfg, tmp_path, "32-true").precision == "32-true"


def _gan_autocast_on(cpu_cfg) -> bool:
    cfg = cpu_cfg({"gan": {"mixed_precision": True, "channel_base": 256, "channel_max": 32}})
    module = GANModule(*build_gan_networks(cfg.gan, 2, 1, 16), dict(cfg.gan))
    with module._autocast():
        return torch.is_autocast_enabled("cpu")


def test_gan_mixed_precision_follows_the_cpu(cpu_cfg, cpu_has_native):
    cpu_has_native(True)
    assert _gan_autocast_on(cpu_cfg)
    cpu_has_native(False)
    with pytest.warns(ReducedPrecisionFallback, match="gan.mixed_precision=true: this CPU has no native bfloat16"):
        assert not _gan_autocast_on(cpu_cfg)


def test_the_probe_is_torchs_own_report():
    assert device_settings.cpu_runs_natively(torch.bfloat16) is bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    assert device_settings.cpu_runs_natively(torch.float16) is bool(torch.ops.mkldnn._is_mkldnn_fp16_supported())
    assert device_settings.cpu_capability() == torch.backends.cpu.get_cpu_capability()
