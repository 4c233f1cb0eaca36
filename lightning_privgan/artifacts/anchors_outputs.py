"""Outputs of the `anchors` stage: the walks' endpoints and the pairs to walk between."""
from __future__ import annotations

import torch

from ..pipeline.stage_outputs import StageOutputs


class AnchorsOutputs(StageOutputs):
    stage = "anchors"
    REQUIRED = ("anchors.pt", "pairs.pt")
    ANCHORS = "anchors.pt"  # {w [A, w_dim], labels [A], groups, member_w, method, psnr}
    PAIRS = "pairs.pt"  # {pairs [M, 2], labels [M]}
    GRID = "anchors.png"

    def anchors(self) -> dict:
        # Our own file (it holds manifest rows as Python lists): full unpickling is safe.
        return torch.load(self.existing(self.ANCHORS), map_location="cpu", weights_only=False)

    def pairs(self) -> dict:
        return torch.load(self.existing(self.PAIRS), map_location="cpu", weights_only=True)
