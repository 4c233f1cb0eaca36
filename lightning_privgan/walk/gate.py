"""Privacy gate: drop synthetic images that sit too close to a real train image.

Distance = 1 − cosine similarity of the auditor's L2-normalised embeddings (DESIGN: embed()
is L2-normalised, so this is ½‖e_s − e_r‖², in [0, 2]): the audit's 'auditor' distance, by
the same function; a sample is rejected when its distance to the *nearest* real train image
is below the threshold.

The threshold defaults to the audit's near-duplicate threshold (`calibrated_gate_threshold`):
the audit.near_duplicate_quantile of the distances between images of two different real
training patients, so "the gate let it through" and "the audit does not count it as a
near-duplicate" mean the same thing. An explicit stream.gate_threshold overrides it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch
from torch import nn

from ..metrics.distances import distance_kind, pairwise_cosine_distance
from ..metrics.thresholds import near_duplicate_threshold
from ..models.components.channel_adapter import expected_channels, match_channels


class PrivacyGate:
    def __init__(self, auditor: nn.Module, real_images: torch.Tensor, threshold: float, batch: int = 256) -> None:
        self.auditor, self.threshold, self.batch = auditor.eval(), threshold, batch
        self.setting: GateSetting | None = None  # how the threshold was chosen; build_gate sets it
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
        return pairwise_cosine_distance(self._embed(images), self._real_embeds).min(dim=1).values

    def keep(self, images: torch.Tensor) -> torch.Tensor:
        """Boolean mask [N] of the images far enough from every real train image."""
        return self.nearest_real_distance(images) >= self.threshold


@dataclass(frozen=True)
class GateSetting:
    threshold: float
    source: str  # how the threshold was chosen, in words (report and audit.json)


def calibrated_gate_threshold(auditor: nn.Module, train_images: torch.Tensor, patient_ids: Sequence,
                              quantile: float, batch_size: int, device=None) -> float:
    """The audit's near-duplicate threshold of the auditor distance (metrics/thresholds.py), computed
    by the very functions the audit uses, on the same real train split."""
    kind = distance_kind("auditor", auditor=auditor, batch_size=batch_size)
    return near_duplicate_threshold(kind.features(train_images), patient_ids, kind, quantile, device)


def gate_setting(stream_cfg, quantile: float, auditor: nn.Module, train_images: torch.Tensor,
                 patient_ids: Sequence, batch_size: int, device=None) -> Optional[GateSetting]:
    """None when stream.gate is off; else the explicit stream.gate_threshold or the calibrated one."""
    if not stream_cfg.gate:
        if stream_cfg.gate_threshold is not None:
            raise ValueError(f"stream.gate_threshold={stream_cfg.gate_threshold} is set but stream.gate is false")
        return None
    if stream_cfg.gate_threshold is not None:
        return GateSetting(float(stream_cfg.gate_threshold), "stream.gate_threshold (fixed)")
    threshold = calibrated_gate_threshold(auditor, train_images, patient_ids, quantile, batch_size, device)
    return GateSetting(threshold, f"calibrated: the audit's auditor near-duplicate threshold (quantile {quantile:g} "
                                  "of other-patient distances on the train split)")


def build_gate(cfg, auditor: nn.Module, train_images: torch.Tensor, patient_ids: Sequence,
               device=None) -> Optional[PrivacyGate]:
    """The stream's gate from the experiment config (None when stream.gate is off); the gate
    carries its GateSetting (`.setting`) so the audit can say which threshold screened the stream."""
    setting = gate_setting(cfg.stream, cfg.audit.near_duplicate_quantile, auditor, train_images, patient_ids,
                           cfg.audit.batch_size, device)
    if setting is None:
        return None
    gate = PrivacyGate(auditor, train_images, setting.threshold)
    gate.setting = setting
    return gate
