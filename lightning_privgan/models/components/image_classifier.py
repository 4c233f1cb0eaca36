"""The classifier network shared by φ_id, the auditor and φ_class (a plain nn.Module).

The walker back-propagates through it into the generator, so `forward` must stay
differentiable end to end: no resizing through numpy, no uint8 round trips, no
torch.no_grad. Images arrive in [-1, 1] as produced by the generator.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .backbones import build_backbone
from .channel_adapter import match_channels
from .cosine_head import build_head


class ImageClassifier(nn.Module):
    def __init__(
        self,
        backbone: str,
        in_channels: int,
        resolution: int,
        num_classes: int,
        width: int = 32,
        weights: str | Path | None = None,
        head: str = "linear",
        head_scale: float = 30.0,
    ):
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"a classifier needs at least 2 classes, got {num_classes}")
        self.backbone, self.feat_dim = build_backbone(backbone, in_channels, resolution, width, weights)
        self.head = build_head(head, self.feat_dim, num_classes, head_scale)
        self.in_channels = in_channels
        self.num_classes = num_classes
        # Everything needed to rebuild the network without Lightning (see classifier_io).
        # `weights` is left out: once trained, the state dict supersedes the init file.
        self.constructor_kwargs = dict(
            backbone=backbone, in_channels=in_channels, resolution=resolution, num_classes=num_classes, width=width,
            head=head, head_scale=head_scale,
        )

    def features(self, img: torch.Tensor) -> torch.Tensor:
        return self.backbone(match_channels(img, self.in_channels))

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(img))

    def embed(self, img: torch.Tensor) -> torch.Tensor:
        """L2-normalised features [N, D]: cosine distances for the privacy audit."""
        return F.normalize(self.features(img), dim=1)
