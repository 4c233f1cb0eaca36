"""Outputs of the `gan` stage: G_ema, its FD curve, sample grids and the FD encoder it measured with."""
from __future__ import annotations

import torch
from torch import nn

from .stage_outputs import StageOutputs


class GanOutputs(StageOutputs):
    stage = "gan"
    REQUIRED = ("generator.pt", "summary.json")
    CHECKED = ("generator.pkl", "fd_encoder.pt", "fd_curve.csv")  # not checkpoints/: only a resume reads them
    GENERATOR = "generator.pt"
    FD_CURVE = "fd_curve.csv"
    # Written while training when no Inception weights exist (models/gan_monitor.py): the
    # audit measures its FD with the same features, so the two figures are comparable.
    FD_ENCODER = "fd_encoder.pt"
    SAMPLES = "samples"
    CHECKPOINT = "checkpoints/last.ckpt"

    def generator(self, device: str | torch.device = "cpu") -> nn.Module:
        """G_ema in eval mode without gradients, on `device`."""
        from ..models.generator_io import load_generator

        return load_generator(self.existing(self.GENERATOR), device=device).eval().requires_grad_(False)

    def fd_encoder(self) -> nn.Module | None:
        """The offline FD encoder of this run, or None when training used Inception features."""
        from ..models.fd_encoder import load_offline_encoder

        path = self.path(self.FD_ENCODER)
        return load_offline_encoder(path) if path.is_file() else None

    def summary(self) -> dict:
        return self.read_json("summary.json")
