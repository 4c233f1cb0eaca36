"""Scores of a membership attack: AUC, balanced accuracy, and honest threshold choice."""
from __future__ import annotations

import torch


def roc_auc(scores: torch.Tensor, is_member: torch.Tensor) -> float:
    """P(score of a random member > score of a random non-member), ties counting one half."""
    scores, is_member = scores.double().flatten(), is_member.bool().flatten()
    pos, neg = int(is_member.sum()), int((~is_member).sum())
    if pos == 0 or neg == 0:
        raise ValueError("AUC needs both members and non-members")
    # Mann-Whitney U with average ranks for ties.
    order = scores.argsort()
    sorted_scores = scores[order]
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=torch.double)
    uniq, inverse = torch.unique(sorted_scores, return_inverse=True)
    sums = torch.zeros(len(uniq), dtype=torch.double).index_add_(0, inverse, ranks[order])
    counts = torch.bincount(inverse, minlength=len(uniq)).double()
    ranks[order] = (sums / counts)[inverse]
    u = ranks[is_member].sum() - pos * (pos + 1) / 2
    return float(u / (pos * neg))


def balanced_accuracy(predicted_member: torch.Tensor, is_member: torch.Tensor) -> float:
    """Mean of the true-positive and true-negative rates: 0.5 for any blind guess, however unbalanced the sets."""
    p, m = predicted_member.bool(), is_member.bool()
    if m.all() or (~m).all():
        raise ValueError("balanced accuracy needs both members and non-members")
    tpr = (p & m).double().sum() / m.sum()
    tnr = (~p & ~m).double().sum() / (~m).sum()
    return float((tpr + tnr) / 2)


def best_threshold(scores: torch.Tensor, is_member: torch.Tensor) -> float:
    """Threshold t (predict member when score >= t) with the best balanced accuracy on these data."""
    uniq = torch.unique(scores.double())
    candidates = torch.cat([uniq[:1] - 1, (uniq[1:] + uniq[:-1]) / 2, uniq[-1:] + 1])
    m = is_member.bool()
    pred = scores.double()[None, :] >= candidates[:, None]  # [T, N]
    tpr = (pred & m).double().sum(1) / m.sum()
    tnr = (~pred & ~m).double().sum(1) / (~m).sum()
    return float(candidates[((tpr + tnr) / 2).argmax()])


def cross_fitted_threshold_accuracy(scores: torch.Tensor, is_member: torch.Tensor, seed: int) -> float:
    """Balanced accuracy of a threshold chosen on one half and scored on the other (both ways, averaged).

    Choosing the threshold on the evaluated samples themselves would report a leak even
    for a model that has none (the best of many thresholds fits noise).
    """
    g = torch.Generator().manual_seed(seed)
    halves = torch.zeros(len(scores), dtype=torch.bool)
    for group in (is_member.bool(), ~is_member.bool()):  # stratified: both halves keep both kinds
        idx = group.nonzero().flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        halves[idx[: len(idx) // 2]] = True
    accs = []
    for calib in (halves, ~halves):
        t = best_threshold(scores[calib], is_member[calib])
        accs.append(balanced_accuracy(scores[~calib] >= t, is_member[~calib]))
    return sum(accs) / 2
