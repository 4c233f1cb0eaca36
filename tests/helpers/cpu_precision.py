"""The fixture that makes torch report a CPU with or without native bf16/fp16, so that a test of a
reduced-precision setting means the same on every CPU."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.core import device_settings


@pytest.fixture
def cpu_has_native(monkeypatch):
    """cpu_has_native(False) makes torch report a CPU without native bf16/fp16 (an AVX2 machine)."""
    def set_native(native: bool) -> None:
        for probe in ("_is_mkldnn_bf16_supported", "_is_mkldnn_fp16_supported"):
            monkeypatch.setattr(torch.ops.mkldnn, probe, lambda: native)
        monkeypatch.setattr(device_settings, "_warned", set())  # each test sees its own first warning
    return set_native
