"""Per-device speed settings of the training stages: TF32 matmuls/convolutions, cudnn's
algorithm search and channels-last memory layout (trainer.tf32, trainer.cudnn_benchmark,
trainer.channels_last).

TF32 keeps fp32 storage and range with a 10-bit mantissa inside matmuls and convolutions
(Ampere and later): several times the fp32 throughput, accurate enough for GAN and
classifier training, which is why it is on by default. cudnn.benchmark times the
convolution algorithms once per input shape; every batch here has the same shape, so
it pays after the first step (and is off under trainer.deterministic). Neither touches a CPU.
Channels-last (NHWC) is on by default on a CPU, where oneDNN computes in a blocked NHWC
layout and an NCHW tensor costs a reorder on every convolution; on a GPU it lets tensor cores
run without layout transposes, which pays mostly under 16-mixed/bf16-mixed, so there it is
opt-in and the GPU check kit measures it. The layout changes the order of the convolutions'
sums, not what they compute: a run in NHWC matches one in NCHW to float32 round-off per step.

Reduced precision on a CPU (walk.autocast, trainer.precision, gan.mixed_precision) pays
only where the CPU computes in it natively: bf16 autocast doubled the walk's throughput on
an AVX512-bf16/AMX CPU but made it 17x slower on an AVX2 one, where oneDNN emulates bf16.
Without native support the stage runs in float32 and says so once (ReducedPrecisionFallback):
float32 is the reference arithmetic, so the run loses nothing but the warning's silence.
(Refusing instead would make one experiment file fail on one machine and run on the next.)
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Iterator

import pytorch_lightning as pl
import torch
from torch import nn

REDUCED_CPU_PRECISIONS = ("16-mixed", "bf16-mixed")  # trainer.precision values that autocast on a CPU
# walk.autocast, gan.projection.autocast, stream.autocast: name -> the dtype G (and the classifiers) render in
AUTOCAST = {"none": None, "bf16": torch.bfloat16, "fp16": torch.float16}
_DTYPE_NAMES = {torch.bfloat16: "bfloat16", torch.float16: "float16"}
_warned: set[str] = set()


class ReducedPrecisionFallback(UserWarning):
    """A reduced-precision setting ran in float32 because this CPU has no native support for it."""


def cpu_capability() -> str:
    """The vector ISA torch dispatches to on this CPU (DEFAULT, AVX2, AVX512, ...)."""
    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        return "unknown"


def cpu_runs_natively(dtype: torch.dtype) -> bool:
    """Whether oneDNN computes `dtype` natively on this CPU, as torch reports it (bf16: AVX512
    BW/VL/DQ, AVX512-BF16 or AMX; fp16: AVX512-FP16 or AMX-FP16). Unknown counts as no:
    the fallback is float32, which is never wrong, only sometimes slower."""
    probes = {torch.bfloat16: "_is_mkldnn_bf16_supported", torch.float16: "_is_mkldnn_fp16_supported"}
    try:
        return bool(getattr(torch.ops.mkldnn, probes[dtype])())
    except (AttributeError, RuntimeError, KeyError):
        return False


def cpu_reduced_precision(dtype: torch.dtype, setting: str) -> bool:
    """True when a CPU may run `setting` (e.g. "walk.autocast=bf16") in `dtype`; False, with a
    ReducedPrecisionFallback warning (once per setting and process) that says why, when it must
    run in float32 instead."""
    if cpu_runs_natively(dtype):
        return True
    if setting not in _warned:
        _warned.add(setting)
        name = _DTYPE_NAMES.get(dtype, str(dtype))
        warnings.warn(
            f"{setting}: this CPU has no native {name} (torch reports capability {cpu_capability()} and no oneDNN "
            f"{name} support), so {name} would be emulated, an order of magnitude slower than float32 "
            f"(17x measured on AVX2); running in float32 instead. Set the key to its float32 value to silence this.",
            ReducedPrecisionFallback, stacklevel=3)
    return False


def autocast_dtype(key: str, mode: str, device: torch.device) -> torch.dtype | None:
    """The dtype that config key `key` set to `mode` (an AUTOCAST name) renders in on `device`: None
    for 'none', and None on a CPU that would emulate the reduced type (with the fallback warning)."""
    if mode not in AUTOCAST:
        raise ValueError(f"{key} must be one of {', '.join(AUTOCAST)}, got {mode!r}")
    dtype = AUTOCAST[mode]
    if dtype is None or device.type != "cpu":
        return dtype
    return dtype if cpu_reduced_precision(dtype, f"{key}={mode}") else None


def render_autocast(device: torch.device, dtype: torch.dtype | None):
    """torch.autocast in `dtype` on `device` (an autocast_dtype answer), or a no-op for None."""
    return torch.autocast(device_type=device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None)


def runs_on_cpu(accelerator: str) -> bool:
    """trainer.accelerator as Lightning resolves it: 'auto' is a CPU where no GPU is visible."""
    if accelerator == "cpu":
        return True
    if accelerator == "auto":
        mps = getattr(torch.backends, "mps", None)
        return not torch.cuda.is_available() and not (mps is not None and mps.is_available())
    return False


def trainer_precision(trainer_cfg) -> str:
    """trainer.precision for Lightning: on a CPU both 16-mixed and bf16-mixed autocast in bf16
    (Lightning turns 16-mixed into bf16-mixed there), so without native bf16 they become 32-true."""
    precision = str(trainer_cfg.precision)
    if precision in REDUCED_CPU_PRECISIONS and runs_on_cpu(str(trainer_cfg.accelerator)):
        if not cpu_reduced_precision(torch.bfloat16, f"trainer.precision={precision}"):
            return "32-true"
    return precision


def use_channels_last(trainer_cfg) -> bool:
    """trainer.channels_last, with null resolved by device: on a CPU, where oneDNN convolves in a
    blocked NHWC layout and reorders every NCHW activation into it and back (the GAN step 1.3x
    faster in NHWC on the demo: benchmarks/bench_memory_layout.py); off on a GPU, where cuDNN in
    float32 gains little from it and the GPU kit measures it under 16-mixed."""
    setting = trainer_cfg.channels_last
    if setting is None:
        return runs_on_cpu(str(trainer_cfg.accelerator))
    return bool(setting)


def apply_matmul_precision(tf32: bool) -> None:
    """Process-wide: TF32 in CUDA matmuls and cuDNN convolutions (no effect on CPU)."""
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32


def use_cudnn_benchmark(trainer_cfg) -> bool:
    # Benchmarking picks algorithms by timing, which may differ run to run.
    return bool(trainer_cfg.cudnn_benchmark) and not bool(trainer_cfg.deterministic)


class ChannelsLast(pl.Callback):
    """Puts the module's 4-D weights in channels-last layout before the optimisers are built
    (the Parameter objects stay the same, so optimiser state and checkpoints are unaffected);
    convolutions then return channels-last activations, inputs are converted by the first one."""

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        pl_module.to(memory_format=torch.channels_last)


@contextlib.contextmanager
def channels_last_weights(*modules: nn.Module, enabled: bool = True) -> Iterator[None]:
    """4-D weights in channels_last inside the block, restored after (the walk, the projector, rendering).

    oneDNN (CPU) and cuDNN (tensor cores) convolve NHWC natively; NCHW costs a layout
    reorder of every activation on every call (1.4x on the 2-core CPU at 32-64 images).
    The conv outputs follow their weights' layout, so the whole forward and backward stay NHWC.
    """
    if not enabled:
        yield
        return
    saved = [(p, p.data) for m in modules for p in m.parameters() if p.dim() == 4]
    for p, data in saved:
        p.data = data.contiguous(memory_format=torch.channels_last)
    try:
        yield
    finally:
        for p, data in saved:
            p.data = data
