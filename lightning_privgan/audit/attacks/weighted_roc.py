"""roc.point_figures for many bootstrap resamples at once, each given as image multiplicities.

A patient resample takes every image of each drawn patient, so it is the scored set with every
image repeated as often as its patient was drawn: a row of integer weights over the same images.
Sorting the scores once and summing weights gives, per row, the ROC points of the repeated set
(thresholds at scores a row leaves out repeat a neighbouring point, which no figure can see) and
the Mann-Whitney count as an integer. Every figure is therefore the same float as
`point_figures` on the materialised set, without building and sorting a thousand arrays.
"""
from __future__ import annotations

import numpy as np

from .roc import FprTarget, checked_scores

# Rows per block: a block's arrays are [rows, images] int64, at most ~32 MB each.
_BLOCK_CELLS = 4_000_000


def _sorted_counts(scores: np.ndarray, is_member: np.ndarray, weights: np.ndarray):
    """Per row (members, non-members) at or above each distinct score, highest score first."""
    order = np.argsort(-scores, kind="stable")
    s, m = scores[order], is_member[order]
    last_of_tie = np.r_[s[1:] != s[:-1], True]
    w = weights[:, order]
    tp = np.cumsum(w * m, axis=1)[:, last_of_tie]
    fp = np.cumsum(w * ~m, axis=1)[:, last_of_tie]
    return tp, fp


def _aucs(tp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Mann-Whitney U / (pos · neg) per row; ties count one half. 2U is an exact integer."""
    pos, neg = tp[:, -1], fp[:, -1]
    a = np.diff(tp, axis=1, prepend=0)  # members at each distinct score
    b = np.diff(fp, axis=1, prepend=0)  # non-members at each distinct score
    twice_u = (a * (2 * (neg[:, None] - fp) + b)).sum(1)  # each member beats the non-members below it
    return (twice_u / 2) / (pos * neg)


def _block_figures(scores, is_member, weights, targets: tuple[FprTarget, ...]) -> dict[str, np.ndarray]:
    tp, fp = _sorted_counts(scores, is_member, weights)
    pos, neg = tp[:, -1:], fp[:, -1:]
    zero = np.zeros((len(weights), 1))
    fpr, tpr = np.hstack([zero, fp / neg]), np.hstack([zero, tp / pos])
    out = {"auc": _aucs(tp, fp), "balanced_accuracy": np.max((tpr + 1.0 - fpr) / 2.0, axis=1)}
    for t in targets:
        out[f"tpr@{t.requested:g}"] = np.where(fpr <= t.fpr + 1e-12, tpr, -np.inf).max(1)
    return out


def _blocks(weights: np.ndarray):
    rows = max(1, _BLOCK_CELLS // max(1, weights.shape[1]))
    for start in range(0, len(weights), rows):
        yield weights[start:start + rows].astype(np.int64)  # 2U reaches images² per row


def _checked(scores, is_member, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scores, is_member = checked_scores(scores, is_member)
    weights = np.asarray(weights)
    if weights.ndim != 2 or weights.shape[1] != len(scores):
        raise ValueError(f"weights of shape {weights.shape} do not match {len(scores)} scores")
    if (weights[:, is_member].sum(1) == 0).any() or (weights[:, ~is_member].sum(1) == 0).any():
        raise ValueError("every resample needs both members and non-members")
    return scores, is_member, weights


def resampled_point_figures(scores, is_member, weights, targets: tuple[FprTarget, ...]) -> dict[str, np.ndarray]:
    """{'auc', 'balanced_accuracy', 'tpr@<fpr>'}: one value per row of `weights` ([resamples, images])."""
    scores, is_member, weights = _checked(scores, is_member, weights)
    parts = [_block_figures(scores, is_member, w, targets) for w in _blocks(weights)]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def resampled_aucs(scores, is_member, weights) -> np.ndarray:
    """The ROC AUC of every row of `weights`."""
    scores, is_member, weights = _checked(scores, is_member, weights)
    return np.concatenate([_aucs(*_sorted_counts(scores, is_member, w)) for w in _blocks(weights)])
