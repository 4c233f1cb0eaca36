"""Which features the audit's Fréchet distance uses: the GAN stage's choice (gan.fd_features).

1. Inception-v3 from a local weights file (audit.inception_weights) when gan.fd_features picks
   it (auto: the file exists; inception: required): the usual FID features.
2. Otherwise the GAN stage's offline encoder (GanOutputs.fd_encoder()), so the audit's FD
   matches the training curve of the GAN.
3. The auditor's embedding when the GAN measured no FD (no encoder): trained on the real train split, it responds to identity and
   anatomy. Every FD is reported with the name of its features: values from different
   extractors are not comparable.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import torch
from torch import nn
from .frechet import InceptionFeatures, choose_extractor


def choose_fd_features(
    mode: str, inception_weights: Optional[str], fd_encoder: Optional[nn.Module], auditor: nn.Module
) -> tuple[Callable[[torch.Tensor], torch.Tensor], str]:
    """(images -> features callable, description of the features), by the same rule as the GAN
    stage's FD curve (metrics/frechet.choose_extractor on gan.fd_features), so the audit's FD
    and the training curve use the same features."""
    device = next(auditor.parameters()).device
    if choose_extractor(mode, inception_weights) == "inception":
        return InceptionFeatures(inception_weights).to(device), "inception-v3 pool features (local weights)"
    if fd_encoder is not None:
        return fd_encoder.eval().to(device), "offline encoder of the gan stage (gan/fd_encoder.pt)"
    # A GAN trained with gan.fd_every_kimg = 0 measured no FD and left no encoder.
    return auditor.embed, "auditor embedding (no Inception weights, no gan/fd_encoder.pt)"
