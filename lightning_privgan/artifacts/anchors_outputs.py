"""Outputs of the `anchors` stage: the walks' endpoints and the pairs to walk between."""
from __future__ import annotations

from .stage_outputs import StageOutputs


class AnchorsOutputs(StageOutputs):
    stage = "anchors"
    REQUIRED = ("anchors.pt", "pairs.pt")
    ANCHORS = "anchors.pt"  # {w [A, w_dim], labels [A], groups, member_w, method, psnr}
    PAIRS = "pairs.pt"  # {pairs [M, 2], labels [M]}
    GRID = "anchors.png"

    def anchors(self) -> dict:
        # Our own file (it holds manifest rows as Python lists): full unpickling is safe.
        return self.load_torch(self.ANCHORS, weights_only=False)

    def pairs(self) -> dict:
        return self.load_torch(self.PAIRS, weights_only=True)
