"""Per-image privacy figures of a candidate set, its gate verdicts, and summaries of any subset.

The gate rejects an image that
  - is a near-duplicate under any of the audit's distances (closer to a real training image
    than the audit's threshold, calibrated on how close two different real patients come), or
  - is re-identified: the independent auditor names one training patient with softmax
    confidence >= the audit's `reid_confidence`.
φ_id is never used: the walker optimised against it, so it would certify its own work.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..audit.reid import auditor_probabilities
from ..audit.source_audit import nearest_by_kind
from ..metrics.frechet import extract_features, fd_of_features
from ..metrics.kid import kernel_inception_distance
from .run_inputs import RunInputs

GATE_CRITERIA = ("near-duplicate under any audit distance", "re-identified by the auditor")


@dataclass
class ImageAudit:
    distances: dict[str, torch.Tensor]  # kind -> [N] distance to the nearest real training image
    thresholds: dict[str, float]  # kind -> the audit's near-duplicate threshold
    reid_confidence: torch.Tensor  # [N] the auditor's largest softmax probability
    reid_threshold: float

    @classmethod
    def concat(cls, parts: list["ImageAudit"]) -> "ImageAudit":
        """One audit of the images of `parts`, in order (each measured against the same reference)."""
        first = parts[0]
        return cls({k: torch.cat([p.distances[k] for p in parts]) for k in first.distances}, first.thresholds,
                   torch.cat([p.reid_confidence for p in parts]), first.reid_threshold)

    @property
    def near_duplicate(self) -> dict[str, torch.Tensor]:
        return {k: d < self.thresholds[k] for k, d in self.distances.items()}

    @property
    def reidentified(self) -> torch.Tensor:
        return self.reid_confidence >= self.reid_threshold

    @property
    def passed(self) -> torch.Tensor:
        failed = self.reidentified.clone()
        for dup in self.near_duplicate.values():
            failed |= dup
        return ~failed

    def reasons(self) -> list[str]:
        """Why each image failed the gate ('' for a passing image)."""
        dups, reid = self.near_duplicate, self.reidentified
        out = []
        for i in range(len(reid)):
            why = [f"near-duplicate ({k})" for k, d in dups.items() if d[i]] + (["re-identified"] if reid[i] else [])
            out.append("; ".join(why))
        return out

    def columns(self) -> pd.DataFrame:
        """Per-image manifest columns: <kind>_distance, reid_confidence, gate, gate_reasons."""
        cols = {f"{k}_distance": d.double().numpy() for k, d in self.distances.items()}
        cols["reid_confidence"] = self.reid_confidence.double().numpy()
        cols["gate"] = np.where(self.passed.numpy(), "pass", "fail")
        cols["gate_reasons"] = self.reasons()
        return pd.DataFrame(cols)

    def summary(self, mask: torch.Tensor | None = None) -> dict:
        """Figures of the images selected by `mask` (all by default)."""
        mask = torch.ones(len(self.reid_confidence), dtype=torch.bool) if mask is None else mask
        n = int(mask.sum())
        distances = {}
        for kind, d in self.distances.items():
            sel = d[mask].double()
            dup = int((sel < self.thresholds[kind]).sum())
            distances[kind] = {
                "threshold": self.thresholds[kind],
                "mean_min": float(sel.mean()) if n else None,
                "median_min": float(sel.median()) if n else None,
                "min": float(sel.min()) if n else None,
                "near_duplicate_count": dup,
                "near_duplicate_rate": dup / n if n else None,
            }
        reid = int(self.reidentified[mask].sum())
        return {"count": n, "distances": distances,
                "reid": {"confidence": self.reid_threshold, "count": reid, "rate": reid / n if n else None}}


@torch.no_grad()
def audit_images(images: torch.Tensor, inputs: RunInputs) -> ImageAudit:
    """Measure images [N, C, H, W] in [-1, 1] against the run's real training images."""
    ref = inputs.reference
    distances = {name: near.distance for name, near in nearest_by_kind(images, ref).items()}
    probs = auditor_probabilities(inputs.auditor, images, int(inputs.cfg.audit.batch_size))
    return ImageAudit(distances, dict(ref.thresholds), probs.max(1).values.cpu(), inputs.reid_confidence)


@torch.no_grad()
def set_quality(images: torch.Tensor, inputs: RunInputs) -> dict:
    """FD and KID of the images against the real training images, on the audit's FD features."""
    out = {"features": inputs.fd_features, "fd": None, "kid": None, "real_images": int(len(inputs.train_images))}
    if len(images) < 2:
        return out
    batch = int(inputs.cfg.audit.batch_size)
    real = extract_features(inputs.fd_extractor, inputs.train_images, batch, inputs.device).double().cpu()
    fake = extract_features(inputs.fd_extractor, images, batch, inputs.device).double().cpu()
    out["fd"] = fd_of_features(real, fake)
    out["kid"] = kernel_inception_distance(real, fake)
    return out
