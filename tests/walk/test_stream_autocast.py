"""stream.autocast: G renders the stream's batches in bf16 where the CPU has it natively, hands them
on as float32, and renders in float32 with a warning where the CPU would emulate bf16."""
from __future__ import annotations

import warnings

import pytest
import torch

from lightning_privgan.config.errors import ConfigError
from lightning_privgan.config.load import config_from_dict
from lightning_privgan.core import device_settings
from tests.helpers.cpu_precision import cpu_has_native  # noqa: F401
from tests.helpers.fake_networks import single_thread  # noqa: F401
from tests.helpers.walk_datamodule import make_dm

pytestmark = pytest.mark.usefixtures("single_thread")


def _batches(autocast: str) -> tuple[list[torch.Tensor], list[bool]]:
    """The images of one epoch, and whether autocast was on at each render of G."""
    dm = make_dm(method="linear", autocast=autocast)  # linear paths: every render of G is the stream's
    rendered_in_autocast: list[bool] = []
    dm.G.synthesis.register_forward_pre_hook(lambda m, a: rendered_in_autocast.append(torch.is_autocast_enabled("cpu")))
    dm.setup("fit")
    return [dm.make_batch(t, 0)[0] for t in dm.train_dataloader()], rendered_in_autocast


def test_a_bf16_stream_renders_in_autocast_and_hands_on_float32_images(cpu_has_native):
    cpu_has_native(True)
    full, full_flags = _batches("none")
    with warnings.catch_warnings():
        warnings.simplefilter("error", device_settings.ReducedPrecisionFallback)
        half, half_flags = _batches("bf16")
    assert full_flags and not any(full_flags) and all(half_flags) and len(half_flags) == len(full_flags)
    assert all(b.dtype == torch.float32 for b in half)
    assert not all(torch.equal(a, b) for a, b in zip(full, half))  # bf16 is not bit-exact
    # the same images up to bf16's rounding (8 bits of mantissa), not other images
    error = torch.cat([(a - b).abs().flatten() for a, b in zip(full, half)]).mean()
    spread = torch.cat([a.flatten() for a in full]).std()
    assert error < 0.05 * spread, (error, spread)


def test_a_bf16_stream_on_a_cpu_without_native_bf16_is_the_float32_one_and_says_why(cpu_has_native):
    cpu_has_native(False)
    with pytest.warns(device_settings.ReducedPrecisionFallback, match=r"stream.autocast=bf16: this CPU has no native"):
        fallback, flags = _batches("bf16")
    assert not any(flags)
    assert all(torch.equal(a, b) for a, b in zip(fallback, _batches("none")[0]))


def test_an_unknown_stream_autocast_is_refused_by_name():
    with pytest.raises(ConfigError, match="stream.autocast"):
        config_from_dict({"stream": {"autocast": "int8"}})
    dm = make_dm(autocast="int8")
    dm.setup("fit")
    with pytest.raises(ValueError, match="stream.autocast must be one of none, bf16, fp16, got 'int8'"):
        dm.make_batch(next(iter(dm.train_dataloader())), 0)
