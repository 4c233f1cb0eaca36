"""The real images a membership attacker tests: members (the train split) and non-members (the
holdout: patients no model saw), subsampled to equal size by patient, and the outsiders (val
and test patients, in neither set) that stand in for the release in the null control."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from .patient_bootstrap import balance_by_patient


@dataclass
class AttackCandidates:
    members: torch.Tensor
    member_labels: torch.Tensor
    member_patients: np.ndarray
    nonmembers: torch.Tensor
    nonmember_labels: torch.Tensor
    nonmember_patients: np.ndarray
    outsiders: Optional[torch.Tensor]  # None: the data has no val/test images

    @property
    def images(self) -> torch.Tensor:
        return torch.cat([self.members, self.nonmembers])

    @property
    def labels(self) -> torch.Tensor:
        return torch.cat([self.member_labels, self.nonmember_labels])

    @property
    def patients(self) -> np.ndarray:
        return np.concatenate([self.member_patients, self.nonmember_patients])

    @property
    def is_member(self) -> np.ndarray:
        return np.r_[np.ones(len(self.members), bool), np.zeros(len(self.nonmembers), bool)]

    def setup(self) -> dict:
        return {"members": int(len(self.members)), "nonmembers": int(len(self.nonmembers)),
                "member_patients": int(len(np.unique(self.member_patients))),
                "nonmember_patients": int(len(np.unique(self.nonmember_patients))),
                "outsiders": 0 if self.outsiders is None else int(len(self.outsiders)),
                "members_from": "train", "nonmembers_from": "holdout", "outsiders_from": "val + test",
                "balanced": "by patient"}


def attack_candidates(train, holdout, outsiders: Optional[torch.Tensor], seed: int,
                      cap: Optional[int] = None) -> AttackCandidates:
    """Members from `train`, non-members from `holdout` (split tensors: images, labels,
    patient_ids), equal in number and spread over equal numbers of patients; at most `cap` per side."""
    mi, ni = balance_by_patient(train.patient_ids, holdout.patient_ids, seed, cap)
    pick = lambda split, idx: (split.images[torch.as_tensor(idx)], split.labels[torch.as_tensor(idx)],  # noqa: E731
                               np.asarray(split.patient_ids).astype(str)[idx])
    members, nonmembers = pick(train, mi), pick(holdout, ni)
    return AttackCandidates(*members, *nonmembers,
                            outsiders=None if outsiders is None or len(outsiders) == 0 else outsiders)
