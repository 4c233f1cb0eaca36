"""The auditor's readings of each audited image set from one pass of its trunk.

The audit asks the auditor two things about the same images: their embeddings (the 'auditor'
distance, metrics/distances.py) and their identity probabilities (re-identification,
audit/reid.py). Both are the trunk's features, normalised or put through the head, so the trunk
runs once per batch and both are derived from it: the same operations on the same batches as
`embed_images` and `auditor_probabilities`, hence the same floats, at half the ResNet passes.
A set is the same while the very tensor lives unmodified (metrics.distances.remembering).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..metrics.distances import remembering
from ..models.components.image_classifier import ImageClassifier


class AuditorReadings:
    def __init__(self, auditor: ImageClassifier, batch_size: int):
        if not isinstance(auditor, ImageClassifier):
            raise TypeError(f"the auditor must be an ImageClassifier (trunk and head), got {type(auditor).__name__}")
        self.auditor, self.batch_size = auditor, int(batch_size)
        self._trunk = remembering(self._trunk_batches)

    @torch.no_grad()
    def _trunk_batches(self, images: torch.Tensor) -> list[torch.Tensor]:
        self.auditor.eval()
        device = next(self.auditor.parameters()).device
        return [self.auditor.features(images[i:i + self.batch_size].to(device))
                for i in range(0, len(images), self.batch_size)]

    def embeddings(self, images: torch.Tensor) -> torch.Tensor:
        """[N, D] L2-normalised features on the CPU, as `embed_images(auditor, images)`."""
        parts = [F.normalize(f, dim=1).float().cpu() for f in self._trunk(images)]
        return torch.cat(parts) if parts else torch.empty(0)

    @torch.no_grad()
    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """[N, identities] softmax outputs on the CPU, as `auditor_probabilities(auditor, images)`."""
        return torch.cat([self.auditor.head(f).float().softmax(1).cpu() for f in self._trunk(images)])
