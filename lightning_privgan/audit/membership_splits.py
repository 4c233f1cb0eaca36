"""Who counts as a non-member in the membership audit: holdout patients, split by patient."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch


def split_holdout_patients(patient_ids: Sequence, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(evaluation mask, shadow mask) over the holdout images: half of the holdout *patients*
    are the attack's evaluation non-members, the other half feed the shadow models, so no
    patient's scans sit on both sides."""
    ids = np.asarray(patient_ids)
    patients = np.unique(ids)
    rng = np.random.default_rng(seed)
    shadow_patients = set(rng.permutation(patients)[: len(patients) // 2])
    in_shadow = torch.as_tensor([p in shadow_patients for p in ids], dtype=torch.bool)
    return ~in_shadow, in_shadow
