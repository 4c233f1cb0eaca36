"""Members and non-members of equal size, drawn by patient, and percentile bootstrap intervals
over patients.

A patient's images are not independent (several scans, one anatomy), so the unit a figure is
resampled over is the patient: each resample draws, within members and within non-members
separately, as many patients as there are, with replacement, and takes all their images.
Balancing the two sides first keeps an AUC of 0.5 meaning "no leak" for the balanced accuracy
and the TPR at a fixed FPR as well.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .roc import FPR_TARGETS, fpr_target, point_figures, roc_auc, roc_curve
from .weighted_roc import resampled_aucs, resampled_point_figures


def _round_robin(patients: np.ndarray, chosen: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` image indices of the `chosen` patients, one image of each patient in turn, so a
    small sample spreads over as many patients as it can."""
    order = []
    for rank, p in enumerate(chosen):
        idx = np.flatnonzero(patients == p)
        order += [(k, rank, i) for k, i in enumerate(rng.permutation(idx))]
    order.sort()
    return np.array([i for _, _, i in order[:count]], dtype=np.int64)


def balance_by_patient(member_patients, nonmember_patients, seed: int, cap: Optional[int] = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(member indices, non-member indices) of equal length: the same number of patients per side,
    then the same number of images (at most `cap` per side), spread over those patients."""
    members, nonmembers = np.asarray(member_patients).astype(str), np.asarray(nonmember_patients).astype(str)
    if len(members) == 0 or len(nonmembers) == 0:
        raise ValueError(f"membership attacks need members and non-members, got {len(members)} and {len(nonmembers)}")
    if set(members) & set(nonmembers):
        raise ValueError("a patient is both a member and a non-member: the splits must be by patient")
    rng = np.random.default_rng(seed)
    um, un = np.unique(members), np.unique(nonmembers)
    k = min(len(um), len(un))
    chosen_m, chosen_n = rng.permutation(um)[:k], rng.permutation(un)[:k]
    count = min(np.isin(members, chosen_m).sum(), np.isin(nonmembers, chosen_n).sum())
    if cap is not None:
        count = min(count, int(cap))
    return _round_robin(members, chosen_m, count, rng), _round_robin(nonmembers, chosen_n, count, rng)


def patient_weights(patients, is_member, resamples: int, seed: int) -> np.ndarray:
    """[resamples, images]: how often each image is in each resample, patients drawn with
    replacement within each side (members, non-members), as many as the side has."""
    patients, is_member = np.asarray(patients).astype(str), np.asarray(is_member, dtype=bool)
    if is_member.all() or not is_member.any():
        raise ValueError("a patient bootstrap needs both members and non-members")
    sides = []
    for side in (is_member, ~is_member):
        index = np.flatnonzero(side)
        _, patient_of_image = np.unique(patients[index], return_inverse=True)
        sides.append((index, patient_of_image.ravel(), int(patient_of_image.max()) + 1))
    rng = np.random.default_rng(seed)
    # Members, then non-members, one draw each per resample: the order the intervals were published with.
    draws = [[], []]
    for _ in range(resamples):
        for drawn, (_, _, count) in zip(draws, sides):
            drawn.append(rng.integers(0, count, count))
    weights = np.zeros((resamples, len(patients)), dtype=np.int32)  # counts: at most the patients
    for drawn, (index, patient_of_image, count) in zip(draws, sides):
        rows = np.asarray(drawn).reshape(resamples, count) + count * np.arange(resamples)[:, None]
        times_drawn = np.bincount(rows.ravel(), minlength=resamples * count).reshape(resamples, count)
        weights[:, index] = times_drawn[:, patient_of_image]
    return weights


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(np.asarray(values), [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_figures(scores, is_member, patients, resamples: int, seed: int, level: float = 0.95,
                      targets: tuple[float, ...] = FPR_TARGETS) -> dict:
    """Every figure of roc.point_figures with its percentile interval over patients, the FPRs the
    TPRs were measured at (and whether the request was resolved), the set sizes and the curve."""
    scores, is_member = np.asarray(scores, dtype=np.float64), np.asarray(is_member, dtype=bool)
    if resamples < 100:
        raise ValueError(f"a bootstrap interval needs at least 100 resamples, got {resamples}")
    fpr_at = tuple(fpr_target(t, int((~is_member).sum())) for t in targets)
    point = point_figures(scores, is_member, fpr_at)
    draws = resampled_point_figures(scores, is_member, patient_weights(patients, is_member, resamples, seed), fpr_at)
    fpr, tpr = roc_curve(scores, is_member)
    out = {name: {"value": value, **dict(zip(("low", "high"), _interval(draws[name], level)))}
           for name, value in point.items()}
    out["fpr_targets"] = [{"requested": t.requested, "fpr": t.fpr, "resolved": t.resolved} for t in fpr_at]
    out.update(members=int(is_member.sum()), nonmembers=int((~is_member).sum()),
               member_patients=int(len(np.unique(np.asarray(patients)[is_member]))),
               nonmember_patients=int(len(np.unique(np.asarray(patients)[~is_member]))),
               resamples=int(resamples), level=level, roc={"fpr": fpr.tolist(), "tpr": tpr.tolist()})
    return out


def paired_auc_difference(scores_a, scores_b, is_member, patients, resamples: int, seed: int,
                          level: float = 0.95) -> dict:
    """AUC(b) − AUC(a) on the same real images, with a percentile interval from resampling the same
    patients for both: the paired comparison of two sources attacked with one distance."""
    scores_a, scores_b = np.asarray(scores_a, dtype=np.float64), np.asarray(scores_b, dtype=np.float64)
    is_member = np.asarray(is_member, dtype=bool)
    if scores_a.shape != scores_b.shape:
        raise ValueError("a paired AUC difference needs both sources' scores on the same images")
    weights = patient_weights(patients, is_member, resamples, seed)
    diffs = resampled_aucs(scores_b, is_member, weights) - resampled_aucs(scores_a, is_member, weights)
    low, high = _interval(diffs, level)
    return {"difference": roc_auc(scores_b, is_member) - roc_auc(scores_a, is_member), "low": low, "high": high,
            "resamples": int(resamples), "level": level}


def contains(figure: dict, value: float = 0.5) -> bool:
    """Whether a figure's interval contains `value` (0.5: no membership signal)."""
    return figure["low"] <= value <= figure["high"]

