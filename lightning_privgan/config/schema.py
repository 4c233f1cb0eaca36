"""The typed schema of an experiment: every key an experiment YAML may set."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from .sections.classifier import ClassifierConfig
from .sections.data import DataConfig
from .sections.experiment_stages import AuditConfig, DownstreamConfig
from .sections.gan import GANConfig
from .sections.replicate import ReplicateConfig
from .sections.runtime import LoggerConfig, LoggingPolicyConfig, TrainerConfig
from .sections.walk import AnchorConfig, StreamConfig, WalkConfig


def _auditor_defaults() -> ClassifierConfig:
    # The audit must not trust the walker's own guide: a different seed,
    # backbone and augmentation make the auditor an independent witness.
    return ClassifierConfig(backbone="resnet18", augment="identity", head="cosine", seed_offset=1000, monitor="val/acc")


@dataclass
class ExperimentConfig:
    name: str = field(default="experiment", metadata={"help": "run folder name: runs/<name>/"})
    seed: int = field(default=0, metadata={"help": "experiment seed; every stage derives its own from it"})
    tags: List[str] = field(default_factory=list, metadata={"help": "free-form tags (W&B)"})
    runs_root: str = field(default="runs", metadata={"help": "folder holding run folders"})
    data: DataConfig = field(default_factory=DataConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    logging: LoggingPolicyConfig = field(default_factory=LoggingPolicyConfig)
    gan: GANConfig = field(default_factory=GANConfig)
    identity: ClassifierConfig = field(default_factory=lambda: ClassifierConfig(augment="identity", head="cosine"))
    auditor: ClassifierConfig = field(default_factory=_auditor_defaults)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    anchors: AnchorConfig = field(default_factory=AnchorConfig)
    walk: WalkConfig = field(default_factory=WalkConfig)
    stream: StreamConfig = field(default_factory=StreamConfig)
    downstream: DownstreamConfig = field(default_factory=DownstreamConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    replicate: ReplicateConfig = field(default_factory=ReplicateConfig)
