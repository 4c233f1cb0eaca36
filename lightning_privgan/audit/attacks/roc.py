"""The figures an attacker quotes from per-image membership scores (higher = "member").

ROC AUC (Mann-Whitney, ties count one half), the balanced accuracy of the best threshold, and
the TPR at a low FPR (Carlini et al. 2022: an attack that identifies a few members with
certainty matters more than its average). A FPR below 1 / (non-members) cannot be resolved:
with 200 non-members the smallest non-zero FPR is 0.5 %, so a TPR "at 0.1 % FPR" would be the
TPR at zero false positives. Such a target is replaced by the smallest FPR the set resolves,
and the output says so.

The best-threshold balanced accuracy is chosen on the scored images themselves, so it is
optimistic (above 0.5 even without a leak); read it beside its split-bias control.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

FPR_TARGETS = (0.01, 0.001)


@dataclass(frozen=True)
class FprTarget:
    requested: float
    fpr: float  # the FPR measured at: the request, or the smallest one the non-members resolve
    resolved: bool  # True when fpr == requested


def checked_scores(scores, is_member) -> tuple[np.ndarray, np.ndarray]:
    scores, is_member = np.asarray(scores, dtype=np.float64).ravel(), np.asarray(is_member, dtype=bool).ravel()
    if len(scores) != len(is_member):
        raise ValueError(f"{len(scores)} scores but {len(is_member)} membership labels")
    if not np.isfinite(scores).all():
        raise ValueError("membership scores must be finite")
    if is_member.all() or not is_member.any():
        raise ValueError("a membership attack needs both members and non-members to score")
    return scores, is_member


def roc_auc(scores, is_member) -> float:
    """P(a random member scores above a random non-member), ties counting one half."""
    scores, is_member = checked_scores(scores, is_member)
    pos, neg = int(is_member.sum()), int((~is_member).sum())
    u = rankdata(scores)[is_member].sum() - pos * (pos + 1) / 2
    return float(u / (pos * neg))


def roc_curve(scores, is_member) -> tuple[np.ndarray, np.ndarray]:
    """(fpr, tpr) from (0, 0) to (1, 1), one point per distinct score (predict member at score >= t)."""
    scores, is_member = checked_scores(scores, is_member)
    order = np.argsort(-scores, kind="stable")
    s, m = scores[order], is_member[order]
    last_of_tie = np.r_[s[1:] != s[:-1], True]  # a threshold can only fall between distinct scores
    tp, fp = np.cumsum(m)[last_of_tie], np.cumsum(~m)[last_of_tie]
    return np.r_[0.0, fp / (~m).sum()], np.r_[0.0, tp / m.sum()]


def best_balanced_accuracy(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """Balanced accuracy of the best threshold: max over the curve of (TPR + 1 − FPR) / 2."""
    return float(np.max((tpr + 1.0 - fpr) / 2.0))


def tpr_at(fpr: np.ndarray, tpr: np.ndarray, target: float) -> float:
    """The highest TPR of a threshold whose FPR is at most `target`."""
    return float(tpr[fpr <= target + 1e-12].max())


def fpr_target(requested: float, nonmembers: int) -> FprTarget:
    """`requested`, or 1 / nonmembers when the set cannot resolve it."""
    if nonmembers < 1:
        raise ValueError("no non-members to measure a false-positive rate on")
    smallest = 1.0 / nonmembers
    return FprTarget(requested, requested, True) if requested >= smallest else FprTarget(requested, smallest, False)


def point_figures(scores, is_member, targets: tuple[FprTarget, ...]) -> dict[str, float]:
    """{'auc', 'balanced_accuracy', 'tpr@<fpr>' per target} of one set of scores."""
    fpr, tpr = roc_curve(scores, is_member)
    out = {"auc": roc_auc(scores, is_member), "balanced_accuracy": best_balanced_accuracy(fpr, tpr)}
    for t in targets:
        out[f"tpr@{t.requested:g}"] = tpr_at(fpr, tpr, t.fpr)
    return out


def without_roc_curves(value):
    """`value` with every 'roc' entry (the curves behind the figures) left out: what a card or a
    summary quotes."""
    if isinstance(value, dict):
        return {k: without_roc_curves(v) for k, v in value.items() if k != "roc"}
    return value
