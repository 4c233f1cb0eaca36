"""A class-stratified subset of a split: projection (anchors) costs grow with the number of
images, and large data sets need far fewer anchors than images."""
from __future__ import annotations

from typing import Hashable, Mapping

import torch

from .real_store import SplitTensors


def class_quotas(per_class: Mapping[Hashable, int], size: int | None) -> dict:
    """Images kept per class when at most `size` are wanted: each class by its share, at least one.
    The one formula behind both the subset and the config check of anchors.k (data/config_checks.py)."""
    total = sum(per_class.values())
    if size is None or total <= size:
        return dict(per_class)
    return {name: max(1, round(size * n / total)) for name, n in per_class.items()}


def stratified_subset(split: SplitTensors, size: int, seed: int) -> SplitTensors:
    gen = torch.Generator().manual_seed(seed)
    labels = split.labels.unique().tolist()
    quotas = class_quotas({c: int((split.labels == c).sum()) for c in labels}, size)
    keep = []
    for label in labels:
        members = torch.nonzero(split.labels == label).flatten()
        keep.append(members[torch.randperm(len(members), generator=gen)[:quotas[label]]])
    index = torch.cat(keep).sort().values
    return SplitTensors(images=split.images[index], labels=split.labels[index],
                        patient_ids=split.patient_ids[index.numpy()], rows=split.rows[index.numpy()])
