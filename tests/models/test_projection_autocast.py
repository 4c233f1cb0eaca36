"""gan.projection.autocast: the anchors' projector renders G in bf16 where the CPU has it natively,
in float32 with a warning where it would emulate it, and the audit's reconstruction attack always
projects in float32. The capability probe is patched both ways, so the tests mean the same on
every CPU."""
from __future__ import annotations

import warnings

import pytest
import torch
from omegaconf import OmegaConf

from lightning_privgan.audit.attacks.reconstruction import reconstruction_scores
from lightning_privgan.config.errors import ConfigError
from lightning_privgan.config.load import config_from_dict
from lightning_privgan.config.sections.gan import ProjectionConfig
from lightning_privgan.core import device_settings
from lightning_privgan.models.inversion import project
from tests.helpers.generated_images import generated  # noqa: F401
from tests.helpers.cpu_precision import cpu_has_native  # noqa: F401

SETTINGS = {"steps": 40, "lr": 0.2, "batch_size": 4}


def _render_dtypes(G) -> list[torch.dtype]:
    """The dtype that every render of G from now on computes in (float32 outside autocast)."""
    seen: list[torch.dtype] = []

    def record(module, args) -> None:
        on = torch.is_autocast_enabled("cpu")
        seen.append(torch.get_autocast_dtype("cpu") if on else torch.float32)
    G.synthesis.register_forward_pre_hook(record)
    return seen


def test_bf16_projection_renders_in_bf16_and_reconstructs_like_float32(generated, cpu_has_native):
    G, images, labels = generated
    cpu_has_native(True)
    full = project(G, images, labels, ProjectionConfig(**SETTINGS), progress=False)
    seen = _render_dtypes(G)
    with warnings.catch_warnings():
        warnings.simplefilter("error", device_settings.ReducedPrecisionFallback)
        half = project(G, images, labels, ProjectionConfig(autocast="bf16", **SETTINGS), progress=False)
    # every step's render in bf16; the final reconstruction error, outside the loop, in float32
    assert seen[:SETTINGS["steps"]] == [torch.bfloat16] * SETTINGS["steps"] and seen[-1] == torch.float32
    assert half.w.dtype == torch.float32 and half.recon_error.dtype == torch.float32
    assert not torch.equal(half.w, full.w)  # autocast really ran: bf16 is not bit-exact
    assert (half.psnr - full.psnr).abs().max() < 1.0, (half.psnr, full.psnr)


def test_bf16_projection_on_a_cpu_without_native_bf16_is_the_float32_one_and_says_why(generated, cpu_has_native):
    G, images, labels = generated
    cpu_has_native(False)
    with pytest.warns(device_settings.ReducedPrecisionFallback,
                      match=r"gan.projection.autocast=bf16: this CPU has no native bfloat16"):
        fallback = project(G, images, labels, ProjectionConfig(autocast="bf16", **SETTINGS), progress=False)
    full = project(G, images, labels, ProjectionConfig(**SETTINGS), progress=False)
    assert torch.equal(fallback.w, full.w)


def test_the_reconstruction_attack_projects_in_float32_whatever_the_anchors_use(generated, cpu_has_native):
    G, images, labels = generated
    cpu_has_native(True)
    anchors_setting = OmegaConf.structured(ProjectionConfig(autocast="bf16", **SETTINGS))
    seen = _render_dtypes(G)
    scores = reconstruction_scores(G, images, labels, anchors_setting, seed=3)
    assert set(seen) == {torch.float32}
    expected = reconstruction_scores(G, images, labels, OmegaConf.structured(ProjectionConfig(**SETTINGS)), seed=3)
    assert (scores == expected).all()
    assert anchors_setting.autocast == "bf16"  # the caller's setting is left as it was


def test_an_unknown_projection_autocast_is_refused_by_name(generated):
    with pytest.raises(ConfigError, match="gan.projection.autocast"):
        config_from_dict({"gan": {"projection": {"autocast": "int8"}}})
    G, images, labels = generated
    with pytest.raises(ValueError, match="gan.projection.autocast must be one of none, bf16, fp16, got 'int8'"):
        project(G, images, labels, ProjectionConfig(autocast="int8", **SETTINGS), progress=False)
