"""Settings of the StyleGAN2-style generator, its training and the projector (inversion)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class ProjectionConfig:
    steps: int = field(default=300, metadata={"help": "Adam steps per batch of images"})
    lr: float = field(default=0.1, metadata={"help": "projector Adam learning rate (StyleGAN2 projector: 0.1)"})
    batch_size: int = field(default=64, metadata={"help": "images projected together"})
    w_plus: bool = field(default=False, metadata={"help": "optimise one w per layer (W+) instead of W"})
    feature_weight: float = field(default=0.5, metadata={"help": "weight of the multi-scale + image-gradient loss (or of feature_net features) next to the pixel MSE"})
    autocast: str = field(default="none", metadata={"help": "none | bf16 | fp16: render G in reduced precision while projecting the anchors (not bit-exact; the loss, Adam and the reported PSNR stay float32); the audit's reconstruction attack always projects in float32, so a speed setting cannot weaken it. On a CPU without native support: float32, with a warning"})


@dataclass
class GANConfig:
    pretrained: Optional[str] = field(default=None, metadata={"help": "an NVIDIA stylegan2-ada-pytorch / stylegan3 network pickle (.pkl) that the gan stage imports instead of training (its repository's dnnlib and torch_utils must be on PYTHONPATH); null = train"})
    pretrained_sha256: Optional[str] = field(default=None, metadata={"help": "SHA-256 of the gan.pretrained file; null = computed when the config is loaded, so that the stage cache follows the file's content; set it to pin the file"})
    preset: str = field(default="tiny", metadata={"help": "tiny (CPU, 32 px) | small (64 px) | paper (256 px): fills the architecture keys left null below"})
    z_dim: Optional[int] = field(default=None, metadata={"help": "latent z size; null = the preset's"})
    w_dim: Optional[int] = field(default=None, metadata={"help": "intermediate latent w size; null = the preset's"})
    mapping_layers: Optional[int] = field(default=None, metadata={"help": "mapping network depth (StyleGAN2: 8); null = the preset's"})
    channel_base: Optional[int] = field(default=None, metadata={"help": "channels at resolution r = min(channel_base / r, channel_max); null = the preset's"})
    channel_max: Optional[int] = field(default=None, metadata={"help": "widest layer; null = the preset's"})
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
    ada_target: float = field(default=0.6, metadata={"help": "ADA target for E[sign(D(real))]; 0 = no adaptation (p stays augment_p)"})
    ada_kimg: float = field(default=20.0, metadata={"help": "kimg for the augmentation probability to go from 0 to 1"})
    ada_interval: int = field(default=4, metadata={"help": "adjust p every N minibatches"})
    augment_p: float = field(default=0.0, metadata={"help": "initial augmentation probability"})
    augment_flip: bool = field(default=False, metadata={"help": "allow horizontal flips in D's augmentation"})
    sample_every_kimg: float = field(default=10.0, metadata={"help": "fixed-latent sample grid cadence"})
    fd_every_kimg: float = field(default=10.0, metadata={"help": "Fréchet distance cadence"})
    checkpoint_every_kimg: float = field(default=1.0, metadata={"help": "write checkpoints/last.ckpt every N kimg, so that a killed run resumes from there (0 = only at the end)"})
    fd_num_images: int = field(default=512, metadata={"help": "generated images per Fréchet distance"})
    fd_features: str = field(default="auto", metadata={"help": "auto | inception | offline (encoder trained on the real data)"})
    mixed_precision: bool = field(default=False, metadata={"help": "bf16 autocast of G and D main passes (regularisers stay fp32); on a CPU without native bf16: float32, with a warning (emulated bf16 is an order of magnitude slower)"})
    fd_encoder_epochs: int = field(default=3, metadata={"help": "epochs of the offline FD encoder (label + patient classifier on the real train split)"})
    sample_grid: int = field(default=16, metadata={"help": "images in the fixed-latent sample grid"})
    projection: ProjectionConfig = field(default_factory=ProjectionConfig)
