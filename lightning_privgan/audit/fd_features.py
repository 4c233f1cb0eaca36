"""Which features the audit's Fréchet distance uses, in order of preference.

1. Inception-v3 from a local weights file (audit.inception_weights): the usual FID features.
2. The GAN stage's offline encoder (GanOutputs.fd_encoder()), so the audit's FD matches
   the training curve of the GAN.
3. The auditor's embedding: trained on the real train split, it responds to identity and
   anatomy. Every FD is reported with the name of its features: values from different
   extractors are not comparable.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import torch
from torch import nn


def choose_fd_features(
    inception_weights: Optional[str], fd_encoder: Optional[nn.Module], auditor: nn.Module
) -> tuple[Callable[[torch.Tensor], torch.Tensor], str]:
    """(images -> features callable, description of the features)."""
    if inception_weights and Path(inception_weights).is_file():
        from ..models.frechet import InceptionFeatures

        net = InceptionFeatures(inception_weights).to(next(auditor.parameters()).device)
        return net, "inception-v3 pool features (local weights)"
    if fd_encoder is not None:
        return fd_encoder.eval().to(next(auditor.parameters()).device), "offline encoder of the gan stage (gan/fd_encoder.pt)"
    return auditor.embed, "auditor embedding (no Inception weights, no gan/fd_encoder.pt)"


@torch.no_grad()
def fd_between(extractor: Callable[[torch.Tensor], torch.Tensor], a: torch.Tensor, b: torch.Tensor, device, batch_size: int = 128) -> float:
    from ..models.frechet import extract_features, fd_of_features

    return fd_of_features(extract_features(extractor, a, batch_size, device),
                          extract_features(extractor, b, batch_size, device))
