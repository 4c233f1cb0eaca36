"""Re-identification: does the independent auditor recognise a training patient in a sample?

A sample counts as re-identified when the auditor (trained to name the train patients,
class i = identities[i]) puts softmax mass >= `confidence` on one identity. Two references
make the rate readable: the uniform chance 1/num_identities of naming any given patient,
and the rate on real holdout images, patients the auditor never saw, whose confident
assignments are false alarms by construction.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


@torch.no_grad()
def auditor_probabilities(auditor: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    auditor.eval()
    device = next(auditor.parameters()).device
    out = [auditor(images[i : i + batch_size].to(device)).float().softmax(1).cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(out)


def confident_share(probs: torch.Tensor, confidence: float) -> float:
    if not 0.0 < confidence <= 1.0:
        raise ValueError(f"re-identification confidence must lie in (0, 1], got {confidence}")
    if len(probs) == 0:
        raise ValueError("re-identification rate of an empty sample")
    return float((probs.max(1).values >= confidence).double().mean())


def reidentification(
    auditor: nn.Module,
    images: torch.Tensor,
    confidence: float,
    identities: Sequence[str],
    batch_size: int = 256,
) -> dict:
    """Re-identification rate of `images`, the most often named identities and the uniform chance.

    The holdout reference is `confident_share(auditor_probabilities(auditor, holdout), confidence)`,
    computed once per audit.
    """
    return reidentification_of(auditor_probabilities(auditor, images, batch_size), confidence, identities)


def reidentification_of(probs: torch.Tensor, confidence: float, identities: Sequence[str]) -> dict:
    """`reidentification` from the auditor's softmax outputs [N, identities] on the images."""
    if probs.shape[1] != len(identities):
        raise ValueError(f"the auditor has {probs.shape[1]} outputs but {len(identities)} identities were given")
    confident = probs.max(1).values >= confidence
    named = probs.argmax(1)[confident]
    counts = torch.bincount(named, minlength=len(identities))
    top = [(identities[i], int(counts[i])) for i in counts.argsort(descending=True)[:5].tolist() if counts[i] > 0]
    result = {
        "rate": confident_share(probs, confidence),
        "chance": 1.0 / len(identities),
        "most_named": top,
    }
    return result
