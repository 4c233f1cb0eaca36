"""The release-level membership attacks (audit/attacks/) on exactly the released images.

Members are the run's train split, non-members its holdout, balanced by patient as the audit
balances them; the null control stands val/test images in for the release. The distances are
the audit's, featurised as the release's audit featurises them. Every random choice is seeded
from the export seed, so `privgan verify --against` re-measures the same figures.
"""
from __future__ import annotations

import numpy as np
import torch

from ..audit.attacks.candidates import attack_candidates
from ..audit.attacks.image_set_attacks import image_set_attacks
from ..audit.attacks.roc import without_roc_curves
from ..core.seeds import derive_seed
from ..stages.outputs import RunFolder
from .run_inputs import RunInputs

SOURCE = "release"


def release_attacks(images: torch.Tensor, inputs: RunInputs, seed: int) -> dict:
    """{'skipped': why} without a holdout split; otherwise the closest-record and distance-ratio
    attacks on `images` [N, C, H, W] in [-1, 1] with their controls (no ROC curves: the card
    quotes figures)."""
    data = RunFolder(inputs.run_dir).stage("data").real()
    train, holdout, val, test = (data.split(s).read_all() for s in ("train", "holdout", "val", "test"))
    if len(np.unique(holdout.patient_ids)) < 2:
        return {"skipped": "the run's data has no holdout split of two or more patients (non-members)"}
    if len(images) < 2:
        return {"skipped": f"{len(images)} image(s) released: too few to attack"}
    cand = attack_candidates(train, holdout, torch.cat([val.images, test.images]), derive_seed(seed, "candidates"))
    result = image_set_attacks({SOURCE: images}, cand, inputs.reference.kinds, int(inputs.cfg.audit.attack_resamples),
                               derive_seed(seed, "attacks"), inputs.device)
    return without_roc_curves(result)
