"""Settings of the identity, auditor and diagnostic classifiers."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class ClassifierConfig:
    backbone: str = field(default="compact", metadata={"help": "compact | resnet18 | resnet34 | resnet50"})
    width: int = field(default=32, metadata={"help": "compact CNN base width"})
    weights: Optional[str] = field(default=None, metadata={"help": "local weights file for the backbone (no downloads)"})
    head: str = field(
        default="linear",
        metadata={"help": "linear | cosine (scale · cosine to each class: learns many identities from few images)"},
    )
    head_scale: float = field(default=30.0, metadata={"help": "logit scale of the cosine head"})
    epochs: int = field(default=10, metadata={"help": "training epochs"})
    batch_size: int = field(default=64, metadata={"help": "batch size"})
    lr: float = field(default=1e-3, metadata={"help": "AdamW learning rate"})
    weight_decay: float = field(default=1e-4, metadata={"help": "AdamW weight decay"})
    class_weighting: bool = field(default=True, metadata={"help": "inverse-frequency class weights in the loss"})
    augment: str = field(default="standard", metadata={"help": "none | standard | identity (strong, identity-preserving)"})
    monitor: str = field(default="val/acc", metadata={"help": "metric that picks the best checkpoint"})
    seed_offset: int = field(default=0, metadata={"help": "added to the stage seed (the auditor differs from φ_id)"})
