"""Phantom members, non-members and outsiders for the release-attack tests: 40 patients of 3
scans each at 16 px (float, in [-1, 1] as the audit reads them), split by patient into train (16), holdout (16) and val (8)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from lightning_privgan.audit.attacks.candidates import attack_candidates
from lightning_privgan.data.phantoms.cxr import make_cxr_phantoms
from lightning_privgan.data.real_store import to_model_range

RES = 16


def phantom_splits(seed: int = 0) -> dict[str, SimpleNamespace]:
    ph = make_cxr_phantoms(40, 3, prevalence=0.5, resolution=RES, seed=seed)
    patients = np.asarray(ph.patient_ids).astype(str)
    order = sorted(set(patients))
    split_of = {p: "train" if i < 16 else "holdout" if i < 32 else "val" for i, p in enumerate(order)}
    splits = {}
    for name in ("train", "holdout", "val"):
        mask = np.array([split_of[p] == name for p in patients])
        splits[name] = SimpleNamespace(images=to_model_range(torch.as_tensor(ph.images)[torch.as_tensor(mask)]),
                                       labels=torch.as_tensor(ph.labels)[torch.as_tensor(mask)].long(),
                                       patient_ids=patients[mask])
    return splits


def phantom_candidates(seed: int = 0, cap: int | None = None):
    """(AttackCandidates, the splits they came from)."""
    splits = phantom_splits(seed)
    return attack_candidates(splits["train"], splits["holdout"], splits["val"].images, seed=seed, cap=cap), splits
