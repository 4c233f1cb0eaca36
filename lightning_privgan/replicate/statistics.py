"""The statistics across replicates: a t-interval over replicate means, the two-level
(hierarchical) bootstrap of a paired difference, the verdict in words, and the split of
the spread into upstream and downstream-seed variance.

Each replicate is one draw of the whole pipeline (G, φ_id, auditor, φ_class, anchors, walk,
downstream seeds), so the replicate is the unit: intervals are over replicates, and a
replicate counts once however many pairs or seeds it holds.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
from scipy import stats

LEVEL = 0.95


@dataclass
class Interval:
    mean: float
    low: float  # NaN with one replicate: a single draw has no spread to give an interval
    high: float
    n: int

    @property
    def significant(self) -> bool:
        """The interval excludes 0."""
        return bool(self.low > 0 or self.high < 0)

    def to_dict(self) -> dict:
        return asdict(self)


def t_interval(values: Sequence[float], level: float = LEVEL) -> Interval:
    """Mean over replicates with Student's t interval: mean ± t_{(1+level)/2, n-1} · sd / √n."""
    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)
    if len(x) == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    mean = float(x.mean())
    if len(x) < 2:
        return Interval(mean, float("nan"), float("nan"), 1)
    half = float(stats.t.ppf((1 + level) / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return Interval(mean, mean - half, mean + half, len(x))


def hierarchical_bootstrap(per_replicate: Sequence[Sequence[float]], resamples: int = 10_000, seed: int = 0,
                           level: float = LEVEL) -> Interval:
    """The pooled mean of per-pair differences over replicates, each replicate weighing the same,
    with a two-level percentile bootstrap: draw replicates with replacement, then within each
    drawn replicate its pairs with replacement; the statistic is the mean of the drawn replicates'
    means. Its spread holds both the between-replicate (upstream) and the within-replicate
    (pairs) variation. Every draw of a replicate resamples its pairs anew."""
    groups = [np.asarray(g, dtype=np.float64) for g in per_replicate]
    if not groups or any(len(g) == 0 for g in groups):
        raise ValueError("need at least one replicate, each with at least one pair")
    if resamples < 100 or not 0 < level < 1:
        raise ValueError(f"need resamples >= 100 and 0 < level < 1, got {resamples} and {level}")
    rng = np.random.default_rng(seed)
    r = len(groups)
    point = float(np.mean([g.mean() for g in groups]))
    if r < 2:
        return Interval(point, float("nan"), float("nan"), r)
    picks = rng.integers(0, r, size=(resamples, r))  # which replicate fills each slot
    slot_means = np.empty((resamples, r))
    for j, g in enumerate(groups):
        where = picks == j
        count = int(where.sum())
        if count:
            slot_means[where] = g[rng.integers(0, len(g), size=(count, len(g)))].mean(1)
    pooled = slot_means.mean(1)
    tail = (1 - level) / 2
    low, high = np.quantile(pooled, [tail, 1 - tail])
    return Interval(point, float(low), float(high), r)


def verdict(interval: Interval, plan_better_if: str, replicates: int, better: str = "better",
            worse: str = "worse") -> str:
    """'PLAN is better' / 'PLAN is worse' / 'no significant difference', naming the replicates
    (`better`/`worse`: the words for the figure, e.g. 'safer' for an attack)."""
    if replicates < 2 or not np.isfinite(interval.low):
        return f"no interval from {replicates} replicate (at least 2 are needed)"
    if not interval.significant:
        return f"no significant difference across {replicates} replicates"
    plan_better = interval.mean > 0 if plan_better_if == "higher" else interval.mean < 0
    return f"PLAN is {better if plan_better else worse} across {replicates} replicates"


@dataclass
class VarianceSplit:
    replicates: int
    between: float  # variance over replicates of the replicate means (ddof 1)
    within: float  # mean over replicates of the variance over downstream seeds (ddof 1)
    seeds: float  # mean number of seeds per replicate
    upstream: float  # between − within / seeds, floored at 0: the upstream stages' own variance
    upstream_share: float  # upstream / (upstream + within): of one run's variance, the part from upstream

    def to_dict(self) -> dict:
        return asdict(self)


def variance_split(per_replicate: Sequence[Sequence[float]]) -> VarianceSplit | None:
    """One-way random-effects split of a per-seed metric: a replicate's mean over S seeds varies
    by upstream + within / S (method of moments), so upstream = between − within / S. None where
    fewer than two replicates have at least two seeds each."""
    groups = [np.asarray([v for v in g if np.isfinite(v)], dtype=np.float64) for g in per_replicate]
    groups = [g for g in groups if len(g) >= 2]
    if len(groups) < 2:
        return None
    means = np.array([g.mean() for g in groups])
    within = float(np.mean([g.var(ddof=1) for g in groups]))
    seeds = float(np.mean([len(g) for g in groups]))
    between = float(means.var(ddof=1))
    upstream = max(0.0, between - within / seeds)
    total = upstream + within
    return VarianceSplit(len(groups), between, within, seeds, upstream, upstream / total if total > 0 else float("nan"))
