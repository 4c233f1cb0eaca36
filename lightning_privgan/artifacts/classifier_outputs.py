"""Outputs of the classifier-training stages: φ_class (`class_guide`), φ_id (`identity`) and the
independent identity network of the audit (`auditor`)."""
from __future__ import annotations

import torch
from torch import nn

from ..pipeline.stage_outputs import StageOutputs


class ClassifierOutputs(StageOutputs):
    """φ_class: the diagnostic network that keeps a PLAN path in its class."""

    stage = "class_guide"
    REQUIRED = ("model.pt", "metrics.json")
    MODEL = "model.pt"
    METRICS = "metrics.json"

    def model(self, device: str | torch.device = "cpu") -> nn.Module:
        """The trained network, frozen (eval mode, no gradients), on `device`."""
        from ..models.classifier_io import load_classifier

        return load_classifier(self.existing(self.MODEL), map_location=device).eval().requires_grad_(False)

    def metrics(self) -> dict:
        return self.read_json(self.METRICS)


class IdentityOutputs(ClassifierOutputs):
    """φ_id: one class per training patient."""

    stage = "identity"
    REQUIRED = ("model.pt", "metrics.json", "identities.json")
    IDENTITIES = "identities.json"

    def identities(self) -> list[str]:
        """Patient id of each output class, in class order."""
        return self.read_json(self.IDENTITIES)["identities"]


class AuditorOutputs(IdentityOutputs):
    """An identity network trained apart from φ_id, so the audit does not judge the walk by its own guide."""

    stage = "auditor"
