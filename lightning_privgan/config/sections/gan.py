"""Settings of the StyleGAN2-style generator, its training and the projector (inversion)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List


@dataclass
class ProjectionConfig:
    steps: int = field(default=300, metadata={"help": "Adam steps per batch of images"})
    lr: float = field(default=0.05, metadata={"help": "projector learning rate"})
    batch_size: int = field(default=64, metadata={"help": "images projected together"})
    w_plus: bool = field(default=False, metadata={"help": "optimise one w per layer (W+) instead of W"})
    feature_weight: float = field(default=0.5, metadata={"help": "weight of the feature (perceptual) loss next to the pixel loss"})
    noise_reg_weight: float = field(default=1e5, metadata={"help": "StyleGAN2 projector noise regularisation"})


@dataclass
class GANConfig:
    preset: str = field(default="tiny", metadata={"help": "tiny (CPU, 32 px) | small (64 px) | paper (256 px); explicit keys below override"})
    z_dim: int = field(default=128, metadata={"help": "latent z size"})
    w_dim: int = field(default=128, metadata={"help": "intermediate latent w size"})
    mapping_layers: int = field(default=4, metadata={"help": "mapping network depth (StyleGAN2: 8)"})
    channel_base: int = field(default=2048, metadata={"help": "channels at resolution r = min(channel_base / r, channel_max)"})
    channel_max: int = field(default=128, metadata={"help": "widest layer"})
    conditional: bool = field(default=True, metadata={"help": "class-conditional generator (c_dim = num_classes)"})
    kimg: float = field(default=40.0, metadata={"help": "training length in thousands of real images shown to D"})
    batch_size: int = field(default=32, metadata={"help": "global batch size"})
    lr: float = field(default=0.0025, metadata={"help": "Adam lr for G and D"})
    betas: List[float] = field(default_factory=lambda: [0.0, 0.99], metadata={"help": "Adam betas"})
    r1_gamma: float = field(default=0.5, metadata={"help": "R1 weight on reals"})
    r1_interval: int = field(default=16, metadata={"help": "lazy R1 every N minibatches"})
    pl_weight: float = field(default=0.0, metadata={"help": "path-length regularisation weight (0 = off)"})
    pl_interval: int = field(default=4, metadata={"help": "lazy path-length every N minibatches"})
    ema_kimg: float = field(default=2.0, metadata={"help": "G_ema half-life in kimg"})
    ada_target: float = field(default=0.6, metadata={"help": "ADA target for E[sign(D(real))]"})
    ada_kimg: float = field(default=20.0, metadata={"help": "kimg for the augmentation probability to go from 0 to 1"})
    ada_interval: int = field(default=4, metadata={"help": "adjust p every N minibatches"})
    augment_p: float = field(default=0.0, metadata={"help": "initial augmentation probability"})
    augment_flip: bool = field(default=False, metadata={"help": "allow horizontal flips in D's augmentation"})
    sample_every_kimg: float = field(default=10.0, metadata={"help": "fixed-latent sample grid cadence"})
    fd_every_kimg: float = field(default=10.0, metadata={"help": "Fréchet distance cadence"})
    fd_num_images: int = field(default=512, metadata={"help": "generated images per Fréchet distance"})
    fd_features: str = field(default="auto", metadata={"help": "auto | inception | offline (encoder trained on the real data)"})
    mixed_precision: bool = field(default=False, metadata={"help": "autocast the synthesis network"})
    projection: ProjectionConfig = field(default_factory=ProjectionConfig)
