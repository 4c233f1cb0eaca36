"""Privacy gate: drop synthetic images that sit too close to a real train image.

Distance = 1 − cosine similarity of the auditor's L2-normalised embeddings (DESIGN: embed()
is L2-normalised, so this is ½‖e_s − e_r‖², in [0, 2]); a sample is rejected when its
distance to the *nearest* real train image is below the threshold.
"""
from __future__ import annotations

import torch
from torch import nn

from ..models.components.channel_adapter import expected_channels, match_channels


class PrivacyGate:
    def __init__(self, auditor: nn.Module, real_images: torch.Tensor, threshold: float, batch: int = 256) -> None:
        self.auditor, self.threshold, self.batch = auditor.eval(), threshold, batch
        self.channels = expected_channels(auditor)
        self._real_images = real_images
        self._real_embeds: torch.Tensor | None = None

    @torch.no_grad()
    def _embed(self, images: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.auditor.embed(match_channels(images[s:s + self.batch], self.channels))
                          for s in range(0, len(images), self.batch)])

    @torch.no_grad()
    def nearest_real_distance(self, images: torch.Tensor) -> torch.Tensor:
        device = images.device
        if self._real_embeds is None or self._real_embeds.device != device:
            self.auditor.to(device)
            self._real_embeds = self._embed(self._real_images.to(device, images.dtype))
        sims = self._embed(images) @ self._real_embeds.T
        return 1.0 - sims.max(dim=1).values

    def keep(self, images: torch.Tensor) -> torch.Tensor:
        """Boolean mask [N] of the images far enough from every real train image."""
        return self.nearest_real_distance(images) >= self.threshold
