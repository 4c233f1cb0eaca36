"""A cosine-softmax classifier head (NormFace/CosFace without the margin) for identity networks.

logits = scale · cos(feature, class weight). With one class per patient and only a handful
of images each, a linear head learns slowly: each class row gets a few updates per epoch
and its norm, not its direction, soaks them up. Normalising both sides leaves only the
direction to learn, and the fixed scale keeps the softmax sharp enough for many classes.
Measured on 500 PneumoniaMNIST images as identities (compact CNN, 30 epochs): top-1 on
augmented views 0.95 against 0.49 for a linear head.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...config.choices import HEADS


class CosineHead(nn.Module):
    def __init__(self, in_features: int, num_classes: int, scale: float = 30.0):
        super().__init__()
        if scale <= 0:
            raise ValueError(f"the cosine head's scale must be positive, got {scale}")
        self.weight = nn.Parameter(torch.randn(num_classes, in_features) * in_features**-0.5)
        self.scale = float(scale)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.scale * F.normalize(features, dim=1) @ F.normalize(self.weight, dim=1).T


def build_head(kind: str, in_features: int, num_classes: int, scale: float) -> nn.Module:
    if kind == "linear":
        return nn.Linear(in_features, num_classes)
    if kind == "cosine":
        return CosineHead(in_features, num_classes, scale)
    raise ValueError(f"unknown classifier head {kind!r}; choose one of {', '.join(HEADS)}")
