"""Settings of the downstream, audit and report stages."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class DownstreamConfig:
    sources: List[str] = field(default_factory=lambda: ["real", "linear", "plan", "ksame"], metadata={"help": "training sources compared"})
    seeds: int = field(default=3, metadata={"help": "repetitions per source"})
    epochs: int = field(default=10, metadata={"help": "validation rounds per run: the checkpoint is chosen on the real val split after each steps / epochs optimiser steps"})
    steps: Optional[int] = field(
        default=None,
        metadata={"help": "optimiser steps per run, the same for every source, at classifier.batch_size (finite sources are reshuffled and cycled to reach them); null = the stream's budget, ceil(stream.samples_per_epoch / classifier.batch_size) x epochs; a multiple of epochs"},
    )
    stream: bool = field(
        default=True,
        metadata={"help": "train linear/plan classifiers on the WalkerDataModule stream (fresh samples each epoch); false = a fixed set"},
    )
    synthetic_samples: Optional[int] = field(
        default=None, metadata={"help": "fixed-set mode (stream: false): synthetic training images per linear/plan run (null = stream.samples_per_epoch)"}
    )


@dataclass
class AuditConfig:
    distances: List[str] = field(default_factory=lambda: ["auditor", "ssim", "l2", "lpips"], metadata={"help": "nearest-real distances (lpips only with local weights)"})
    lpips_weights: Optional[str] = field(default=None, metadata={"help": "local LPIPS weights file"})
    lpips_backbone_weights: Optional[str] = field(
        default=None, metadata={"help": "local torchvision AlexNet/VGG16 weights for LPIPS (null = $TORCH_HOME/hub/checkpoints)"}
    )
    inception_weights: Optional[str] = field(default=None, metadata={"help": "local Inception weights file for the Fréchet distance"})
    near_duplicate_quantile: float = field(default=0.01, metadata={"help": "threshold = this quantile of real-to-real distances between different patients"})
    samples_per_source: int = field(default=512, metadata={"help": "synthetic samples audited per source"})
    fd_samples: Optional[int] = field(
        default=None,
        metadata={"help": "images per source for FD and KID, the same n for every source (null = the smallest source: the k-same anchors, the holdout or audit.samples_per_source)"},
    )
    kid_subsets: int = field(default=50, metadata={"help": "random subsets KID is averaged over (mean ± std reported)"})
    reid_confidence: float = field(default=0.9, metadata={"help": "auditor softmax confidence that counts as a re-identification"})
    shadow_models: int = field(default=2, metadata={"help": "shadow models for the membership-inference attack (0 = loss-threshold attack only)"})
    shadow_epochs: Optional[int] = field(default=None, metadata={"help": "epochs of each shadow model over its own data (null = the downstream budget, steps x batch, as the targets)"})
    path_distance: str = field(default="auditor", metadata={"help": "distance drawn along the paths (one of audit.distances)"})
    path_pairs: int = field(default=32, metadata={"help": "pairs whose every step is rendered for the distance-along-path curve"})
    grid_samples: int = field(default=32, metadata={"help": "synthetic images kept per source for the report's grids"})
    batch_size: int = field(default=128, metadata={"help": "images per forward pass while auditing"})
    release_attacks: bool = field(default=True, metadata={"help": "membership attacks on the released images and the generator (closest record, distance ratio, reconstruction, discriminator) with null and split-bias controls; needs a holdout split"})
    attack_samples: int = field(default=32, metadata={"help": "real images per side (members, non-members) the generator-level attacks project through G"})
    attack_resamples: int = field(default=1000, metadata={"help": "bootstrap resamples over patients behind every release-attack interval"})
