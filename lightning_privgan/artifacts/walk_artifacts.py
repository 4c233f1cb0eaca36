"""What every synthetic source is made from (G_ema, the saved paths, the anchors), loaded from
the outputs of the gan, anchors and walk stages for downstream, the audit and export."""
from __future__ import annotations

import torch

from ..walk.synthetic_sources import WalkArtifacts
from .anchors_outputs import AnchorsOutputs
from .gan_outputs import GanOutputs
from .walk_outputs import WalkOutputs


def load_walk_artifacts(gan: GanOutputs, anchors: AnchorsOutputs, walk: WalkOutputs,
                        device: torch.device | str = "cpu") -> WalkArtifacts:
    return WalkArtifacts(gan.generator(device), walk.paths(), anchors.anchors())
