"""Run-time settings shared by every stage: trainer, loggers, logging policy."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class TrainerConfig:
    accelerator: str = field(default="auto", metadata={"help": "cpu | gpu | auto"})
    devices: int = field(default=1, metadata={"help": "processes (GPUs) per node; >1 uses DDP"})
    num_nodes: int = field(default=1, metadata={"help": "nodes; must match SLURM's layout"})
    strategy: str = field(default="auto", metadata={"help": "auto | ddp | ddp_find_unused_parameters_true"})
    precision: str = field(default="32-true", metadata={"help": "32-true | 16-mixed | bf16-mixed (on a CPU both mixed ones autocast in bf16; a CPU without native bf16 trains in 32-true instead, with a warning: emulated bf16 is an order of magnitude slower)"})
    deterministic: bool = field(default=False, metadata={"help": "torch deterministic algorithms"})
    log_every_n_steps: int = field(default=10, metadata={"help": "logger cadence in optimiser steps"})
    progress_bar: bool = field(default=True, metadata={"help": "rich progress bars"})
    tf32: bool = field(default=True, metadata={"help": "TF32 in CUDA matmuls/convolutions (Ampere+; no effect on CPU)"})
    cudnn_benchmark: bool = field(default=True, metadata={"help": "cudnn picks convolution algorithms by timing (off under deterministic)"})
    channels_last: Optional[bool] = field(default=None, metadata={"help": "channels-last (NHWC) weights and activations in the training stages, the projector and rendering; null = on a CPU (oneDNN convolves NHWC natively: benchmarks/bench_memory_layout.py), off on a GPU, where it pays mostly with 16-mixed/bf16-mixed"})
    parallel_fits: Optional[int] = field(default=None, metadata={"help": "independent fits of one stage trained at once on a CPU, one process each, splitting the run's threads (the downstream sources and seeds, the audit's shadow models); null = one per thread, 1 = one after another; a GPU run or DDP trains one at a time"})
    parallel_stages: Optional[int] = field(default=1, metadata={"help": "independent stages run at once on a CPU, one process each, splitting the run's threads (gan beside identity, auditor and class_guide, then anchors); a stage with none beside it runs alone with every thread; 1 = one after another (the default: on a 2-core CPU two threads a stage already pay as much, docs/performance.md), null = one per thread; a GPU run or DDP runs one at a time"})


@dataclass
class WandbConfig:
    enabled: bool = field(default=False, metadata={"help": "log to Weights & Biases"})
    project: str = field(default="lightning_privgan", metadata={"help": "W&B project"})
    entity: Optional[str] = field(default=None, metadata={"help": "W&B entity (team); null = default"})
    mode: str = field(default="offline", metadata={"help": "offline (sync later: make wandb-sync) | online | disabled"})


@dataclass
class LoggerConfig:
    wandb: WandbConfig = field(default_factory=WandbConfig)


@dataclass
class LoggingPolicyConfig:
    allow_real_images: bool = field(
        default=False,
        metadata={"help": "allow real patient images in reports and W&B (never by default)"},
    )
