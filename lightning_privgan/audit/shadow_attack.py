"""Shadow-model membership attack (Shokri et al. 2017), attack model in plain torch.

Shadow classifiers are trained like the target (same `train_fn`) on disjoint parts of
data the target never saw; on each part, half of the *patients* are the shadow's members and
half not. The split is by patient, as the target's is (members = the train split's patients):
split per image, a member's other scans would count as non-members, and the attack would
learn that a scan of a member's own patient "looks unseen".
A logistic regression learns member-vs-not from the shadows' outputs (the softmax vector
sorted descending, so it does not depend on the class, plus the loss) and is then asked
about the target's real members and non-members.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .attack_metrics import balanced_accuracy, roc_auc
from .membership import per_sample_outputs

TrainFn = Callable[[torch.Tensor, torch.Tensor, int], nn.Module]  # (images, labels, seed) -> trained model


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
    shadow_pool: tuple[torch.Tensor, torch.Tensor], train_fn: TrainFn, num_shadows: int = 2, seed: int = 0,
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
    for k, (inside, outside) in enumerate(shadow_splits(patient_ids, num_shadows, seed)):
        shadow = train_fn(images[inside], labels[inside], seed * 1000 + k)
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
    target_feats = [attack_features(*per_sample_outputs(target, *s, batch_size=batch_size)) for s in (members, nonmembers)]
    p = attack.member_probability(torch.cat(target_feats))
    truth = torch.cat([torch.ones(len(target_feats[0])), torch.zeros(len(target_feats[1]))]).bool()
    return {"balanced_accuracy": balanced_accuracy(p >= 0.5, truth), "auc": roc_auc(p, truth)}


def shadow_model_attack(
    target: nn.Module,
    members: tuple[torch.Tensor, torch.Tensor],
    nonmembers: tuple[torch.Tensor, torch.Tensor],
    shadow_pool: tuple[torch.Tensor, torch.Tensor],
    train_fn: TrainFn,
    num_shadows: int = 2,
    seed: int = 0,
    batch_size: int = 256,
    patient_ids: Optional[Sequence] = None,
) -> dict:
    """{'balanced_accuracy', 'auc', 'shadow_train_balanced_accuracy'} of the shadow attack on `target`.

    `shadow_pool` must be disjoint from both `members` and `nonmembers`; `patient_ids` are its images'.
    """
    attack, shadow_acc = fit_shadow_attack(shadow_pool, train_fn, num_shadows, seed, batch_size, patient_ids)
    return {**apply_attack(attack, target, members, nonmembers, batch_size), "shadow_train_balanced_accuracy": shadow_acc}
