"""Per-device speed settings of the training stages: TF32 matmuls/convolutions, cudnn's
algorithm search and channels-last memory layout (trainer.tf32, trainer.cudnn_benchmark,
trainer.channels_last). All three leave CPU runs unchanged.

TF32 keeps fp32 storage and range with a 10-bit mantissa inside matmuls and convolutions
(Ampere and later): several times the fp32 throughput, accurate enough for GAN and
classifier training, which is why it is on by default. cudnn.benchmark times the
convolution algorithms once per input shape; every batch here has the same shape, so
it pays after the first step (and is off under trainer.deterministic). Channels-last
(NHWC) lets tensor cores run convolutions without layout transposes; it pays mostly
under 16-mixed/bf16-mixed, so it is opt-in and the GPU check kit measures it.
"""
from __future__ import annotations

import pytorch_lightning as pl
import torch


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
