"""Controls that make a membership AUC readable.

Null control: the same attack with the synthetic set replaced by real images of patients in
neither set (val/test). No image of that set was generated from anyone, so any signal it
shows lives in the features themselves: the auditor and the offline FD encoder were trained
on the train split, and an embedding distance from them can tell members from non-members
with no synthetic image involved. A distance whose null-control AUC interval misses 0.5 is
flagged and kept out of the verdict.

Split-bias control: two random halves of the holdout, by patient, as "members" and
"non-members". Nobody in either half was trained on, so this is what the figures read when
there is nothing to find at this sample size (the best-threshold balanced accuracy, for one,
sits above 0.5 by construction).
"""
from __future__ import annotations

import numpy as np
import torch

from .patient_bootstrap import balance_by_patient, bootstrap_figures, contains


def null_control_set(outsiders: torch.Tensor, size: int, seed: int) -> torch.Tensor:
    """At most `size` outsider images (val/test patients), drawn at random: the stand-in release."""
    if len(outsiders) == 0:
        raise ValueError("the null control needs real images of patients in neither set (val/test)")
    g = torch.Generator().manual_seed(seed)
    return outsiders[torch.randperm(len(outsiders), generator=g)[: max(1, size)]]


def null_verdict(null_figures: dict) -> dict:
    """{'usable': the null control's AUC interval contains 0.5, 'auc': that interval}."""
    auc = null_figures["auc"]
    return {"usable": contains(auc), "auc": auc}


def split_halves(patients, seed: int) -> np.ndarray:
    """A boolean mask over `patients`: a random half of the patients (by patient) is True."""
    patients = np.asarray(patients).astype(str)
    unique = np.unique(patients)
    if len(unique) < 2:
        raise ValueError("the split-bias control needs at least two holdout patients")
    chosen = np.random.default_rng(seed).permutation(unique)[: len(unique) // 2]
    return np.isin(patients, chosen)


def split_bias_indices(patients, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(pseudo-member, pseudo-non-member) indices into the holdout images: two halves by patient,
    balanced as the real attack is."""
    patients = np.asarray(patients).astype(str)
    half = split_halves(patients, seed)
    a, b = np.flatnonzero(half), np.flatnonzero(~half)
    ia, ib = balance_by_patient(patients[a], patients[b], seed)
    return a[ia], b[ib]


def split_bias_figures(nonmember_scores, nonmember_patients, resamples: int, seed: int) -> dict:
    """The attack's figures on two holdout halves, from the scores it already gave the holdout."""
    scores, patients = np.asarray(nonmember_scores), np.asarray(nonmember_patients).astype(str)
    a, b = split_bias_indices(patients, seed)
    idx = np.r_[a, b]
    is_member = np.r_[np.ones(len(a), bool), np.zeros(len(b), bool)]
    return bootstrap_figures(scores[idx], is_member, patients[idx], resamples, seed)
