"""Membership inference: was an image in a downstream classifier's training set?

Members are the real `train` images, non-members the evaluation half of the `holdout`
patients (split_holdout_patients). Two attacks:
- loss threshold (Yeom et al. 2018): a model that memorised its training images has lower
  loss on them; reported as the cross-fitted balanced accuracy of the best threshold and the
  threshold-free AUC;
- shadow models (Shokri et al. 2017): shadows trained like the target on data no target saw
  teach a logistic regression what a model that saw an image looks like.
attack_downstream_models asks both about every downstream model, averaged over seeds.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ..models.classifier_io import load_classifier
from .attacks.roc import roc_auc as release_roc_auc


@torch.no_grad()
def per_sample_outputs(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """(cross-entropy loss [N], softmax probabilities [N, K]) of `model` on labelled images."""
    model.eval()
    device = next(model.parameters()).device
    losses, probs = [], []
    for i in range(0, len(images), batch_size):
        logits = model(images[i : i + batch_size].to(device)).float()
        y = labels[i : i + batch_size].to(device)
        losses.append(F.cross_entropy(logits, y, reduction="none").cpu())
        probs.append(logits.softmax(1).cpu())
    return torch.cat(losses), torch.cat(probs)


def loss_threshold_attack(
    model: nn.Module,
    members: tuple[torch.Tensor, torch.Tensor],
    nonmembers: tuple[torch.Tensor, torch.Tensor],
    seed: int = 0,
    batch_size: int = 256,
) -> dict:
    """{'balanced_accuracy', 'auc', 'member_loss', 'nonmember_loss'} of the loss-threshold attack."""
    loss_in, _ = per_sample_outputs(model, *members, batch_size=batch_size)
    loss_out, _ = per_sample_outputs(model, *nonmembers, batch_size=batch_size)
    return loss_threshold_figures(loss_in, loss_out, seed)


def loss_threshold_figures(loss_in: torch.Tensor, loss_out: torch.Tensor, seed: int = 0) -> dict:
    """`loss_threshold_attack` from the model's per-sample losses on members and non-members."""
    if len(loss_in) < 2 or len(loss_out) < 2:
        raise ValueError("membership inference needs at least two members and two non-members")
    scores = -torch.cat([loss_in, loss_out])  # low loss -> member
    is_member = torch.cat([torch.ones(len(loss_in)), torch.zeros(len(loss_out))]).bool()
    return {
        "balanced_accuracy": cross_fitted_threshold_accuracy(scores, is_member, seed),
        "auc": roc_auc(scores, is_member),
        "member_loss": float(loss_in.mean()),
        "nonmember_loss": float(loss_out.mean()),
    }


# -- scores of a membership attack: AUC, balanced accuracy, and honest threshold choice --
def roc_auc(scores: torch.Tensor, is_member: torch.Tensor) -> float:
    """P(score of a random member > score of a random non-member), ties counting one half: the
    release-level attacks' Mann-Whitney AUC (audit/attacks/roc.py), on these tensors."""
    return release_roc_auc(scores.detach().double().cpu().numpy(), is_member.bool().cpu().numpy())


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


# -- who counts as a non-member: holdout patients, split by patient --
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


# -- the shadow-model attack (Shokri et al. 2017), attack model in plain torch --
# Shadow classifiers are trained like the target (same training function) on disjoint parts of
# data the target never saw; on each part, half of the *patients* are the shadow's members and
# half not. The split is by patient, as the target's is (members = the train split's patients):
# split per image, a member's other scans would count as non-members, and the attack would
# learn that a scan of a member's own patient "looks unseen".
# A logistic regression learns member-vs-not from the shadows' outputs (the softmax vector
# sorted descending, so it does not depend on the class, plus the loss) and is then asked
# about the target's real members and non-members.
TrainFn = Callable[[torch.Tensor, torch.Tensor, int], nn.Module]  # (images, labels, seed) -> trained model
ShadowJob = tuple[torch.Tensor, torch.Tensor, int]  # (images, labels, seed) of one shadow
# [jobs] -> their trained models, in order: the shadows are independent, so a trainer may fit
# several at once (stages/shadow_models.py does on a CPU).
TrainShadowsFn = Callable[[list[ShadowJob]], list[nn.Module]]


def one_by_one(train_fn: TrainFn) -> TrainShadowsFn:
    """Shadows trained one after another by a per-shadow training function."""
    return lambda jobs: [train_fn(*job) for job in jobs]


def attack_features(loss: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    return torch.cat([probs.sort(1, descending=True).values, loss[:, None]], 1)


class LogisticAttack:
    """Standardised logistic regression, fitted by L-BFGS with a small L2 penalty."""

    def __init__(self, l2: float = 1e-3, steps: int = 200):
        self.l2, self.steps = l2, steps

    def fit(self, x: torch.Tensor, y: torch.Tensor) -> "LogisticAttack":
        x = x.double()
        self.mean, self.std = x.mean(0), x.std(0).clamp_min(1e-8)
        z = (x - self.mean) / self.std
        self.w = torch.zeros(z.shape[1], dtype=torch.double, requires_grad=True)
        self.b = torch.zeros(1, dtype=torch.double, requires_grad=True)
        # Class weights: the attack must not win by predicting the larger side.
        pos_weight = (y == 0).sum().double() / (y == 1).sum().clamp_min(1).double()
        opt = torch.optim.LBFGS([self.w, self.b], max_iter=self.steps, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = F.binary_cross_entropy_with_logits(z @ self.w + self.b, y.double(), pos_weight=pos_weight)
            loss = loss + self.l2 * self.w.pow(2).sum()
            loss.backward()
            return loss

        opt.step(closure)
        return self

    @torch.no_grad()
    def member_probability(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(((x.double() - self.mean) / self.std) @ self.w + self.b)


def shadow_splits(patient_ids: Sequence, num_shadows: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(member rows, non-member rows) of each shadow: patients are shuffled, cut into `num_shadows`
    disjoint parts, and each part's patients split in half; all scans of a patient go together."""
    patients = np.unique(np.asarray(patient_ids).astype(str))
    if len(patients) < 2 * num_shadows:
        raise ValueError(f"the shadow pool holds {len(patients)} patients; {num_shadows} shadow models need at least "
                         f"{2 * num_shadows} (one member and one non-member patient each)")
    order = torch.randperm(len(patients), generator=torch.Generator().manual_seed(seed)).numpy()
    ids = np.asarray(patient_ids).astype(str)
    splits = []
    for part in np.array_split(patients[order], num_shadows):
        half = len(part) // 2
        rows = [torch.as_tensor(np.flatnonzero(np.isin(ids, side)), dtype=torch.long) for side in (part[:half], part[half:])]
        splits.append((rows[0], rows[1]))
    return splits


def fit_shadow_attack(
    shadow_pool: tuple[torch.Tensor, torch.Tensor], train_shadows: TrainShadowsFn, num_shadows: int = 2, seed: int = 0,
    batch_size: int = 256, patient_ids: Optional[Sequence] = None,
) -> tuple[LogisticAttack, float]:
    """Train the shadows and the attack model once: (attack, its balanced accuracy on the shadows' data).

    `patient_ids` [N] of the pool's images: members and non-members of a shadow are split by patient
    (None: every image its own patient, as in data sets without patient ids)."""
    images, labels = shadow_pool
    if num_shadows < 1:
        raise ValueError("the shadow attack needs at least one shadow model")
    if len(images) < 4 * num_shadows:
        raise ValueError(f"shadow pool of {len(images)} images is too small for {num_shadows} shadow models")
    if patient_ids is None:
        patient_ids = [str(i) for i in range(len(images))]
    if len(patient_ids) != len(images):
        raise ValueError(f"{len(patient_ids)} patient ids for a shadow pool of {len(images)} images")
    feats, is_in = [], []
    splits = shadow_splits(patient_ids, num_shadows, seed)
    shadows = train_shadows([(images[inside], labels[inside], seed * 1000 + k) for k, (inside, _) in enumerate(splits)])
    if len(shadows) != len(splits):
        raise ValueError(f"the shadow trainer returned {len(shadows)} models for {len(splits)} shadows")
    for shadow, (inside, outside) in zip(shadows, splits):
        for idx, flag in ((inside, 1.0), (outside, 0.0)):
            loss, probs = per_sample_outputs(shadow, images[idx], labels[idx], batch_size)
            feats.append(attack_features(loss, probs))
            is_in.append(torch.full((len(idx),), flag))
    x, y = torch.cat(feats), torch.cat(is_in)
    attack = LogisticAttack().fit(x, y)
    return attack, balanced_accuracy(attack.member_probability(x) >= 0.5, y.bool())


def apply_attack(
    attack: LogisticAttack,
    target: nn.Module,
    members: tuple[torch.Tensor, torch.Tensor],
    nonmembers: tuple[torch.Tensor, torch.Tensor],
    batch_size: int = 256,
) -> dict:
    """{'balanced_accuracy', 'auc'} of a fitted attack model asked about `target`'s members and non-members."""
    return attack_figures(attack, *(per_sample_outputs(target, *s, batch_size=batch_size) for s in (members, nonmembers)))


def attack_figures(attack: LogisticAttack, members_out: tuple[torch.Tensor, torch.Tensor],
                   nonmembers_out: tuple[torch.Tensor, torch.Tensor]) -> dict:
    """`apply_attack` from the target's (losses, probabilities) on its members and non-members."""
    target_feats = [attack_features(*outputs) for outputs in (members_out, nonmembers_out)]
    p = attack.member_probability(torch.cat(target_feats))
    truth = torch.cat([torch.ones(len(target_feats[0])), torch.zeros(len(target_feats[1]))]).bool()
    return {"balanced_accuracy": balanced_accuracy(p >= 0.5, truth), "auc": roc_auc(p, truth)}


def shadow_model_attack(
    target: nn.Module,
    members: tuple[torch.Tensor, torch.Tensor],
    nonmembers: tuple[torch.Tensor, torch.Tensor],
    shadow_pool: tuple[torch.Tensor, torch.Tensor],
    train_shadows: TrainShadowsFn,
    num_shadows: int = 2,
    seed: int = 0,
    batch_size: int = 256,
    patient_ids: Optional[Sequence] = None,
) -> dict:
    """{'balanced_accuracy', 'auc', 'shadow_train_balanced_accuracy'} of the shadow attack on `target`.

    `shadow_pool` must be disjoint from both `members` and `nonmembers`; `patient_ids` are its images'.
    """
    attack, shadow_acc = fit_shadow_attack(shadow_pool, train_shadows, num_shadows, seed, batch_size, patient_ids)
    return {**apply_attack(attack, target, members, nonmembers, batch_size), "shadow_train_balanced_accuracy": shadow_acc}


# -- against every downstream model, averaged over seeds --
# Members are the real train images, non-members the evaluation half of the holdout.
# The shadow attack model is fitted once (shadows trained like the real-data target, on
# data no target saw) and then asked about every downstream model: it has learnt what a
# model that saw an image looks like, whatever the target was trained on.
def attack_downstream_models(
    models: list[tuple[str, int, Path]],
    members: tuple[torch.Tensor, torch.Tensor],
    nonmembers: tuple[torch.Tensor, torch.Tensor],
    shadow_attack: Optional[LogisticAttack],
    seed: int,
    device: torch.device | str = "cpu",
    batch_size: int = 256,
) -> pd.DataFrame:
    """One row per model: loss-threshold (and shadow) balanced accuracy and AUC."""
    rows = []
    for source, run_seed, path in models:
        net = load_classifier(path, map_location=device)
        row = {"source": source, "seed": run_seed}
        # One pass over each set serves both attacks: the losses and the softmax of the same forward.
        outputs = [per_sample_outputs(net, *s, batch_size=batch_size) for s in (members, nonmembers)]
        for key, value in loss_threshold_figures(outputs[0][0], outputs[1][0], seed).items():
            row[f"threshold_{key}"] = value
        if shadow_attack is not None:
            for key, value in attack_figures(shadow_attack, *outputs).items():
                row[f"shadow_{key}"] = value
        rows.append(row)
    return pd.DataFrame(rows)


def summarize_membership(runs: pd.DataFrame) -> dict:
    """{source: {metric_mean, metric_std, runs}} over seeds."""
    metrics = [c for c in runs.columns if c.startswith(("threshold_", "shadow_"))]
    out = {}
    for source, group in runs.groupby("source", sort=False):
        entry = {"runs": int(len(group))}
        for m in metrics:
            entry[f"{m}_mean"] = float(group[m].mean())
            entry[f"{m}_std"] = float(group[m].std(ddof=1)) if len(group) > 1 else 0.0
        out[str(source)] = entry
    return out
