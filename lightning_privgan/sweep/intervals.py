"""The two intervals of the sweep table.

Utility: a Student-t 95% interval of the mean accuracy over the downstream seeds (few
values, each one trained classifier: the t interval is the honest one at n = 3, and n = 1
has none). Privacy: a percentile bootstrap of the mean over the audited samples (a
near-duplicate flag or a closest distance per sample, hundreds of them, far from normal
for the flag), the samples resampled jointly for both figures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float  # nan where no interval exists (one value)
    high: float
    n: int


def t_interval(values, level: float = 0.95, bounds: tuple[float, float] = (0.0, 1.0)) -> Interval:
    """Mean of `values` and its Student-t interval (nan bounds for a single value), clipped to
    `bounds`: the values are accuracies, and an interval reaching past 1 (three seeds of very
    different accuracy) claims values no classifier can have."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError(f"need a non-empty list of values, got shape {x.shape}")
    mean = float(x.mean())
    if len(x) < 2:
        return Interval(mean, math.nan, math.nan, 1)
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return Interval(mean, max(mean - half, bounds[0]), min(mean + half, bounds[1]), len(x))


def bootstrap_means(columns: dict[str, np.ndarray], resamples: int = 10_000, seed: int = 0,
                    level: float = 0.95) -> dict[str, Interval]:
    """Per column: the mean and its percentile bootstrap interval; rows are resampled jointly."""
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in columns.items()}
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1 or 0 in lengths or any(a.ndim != 1 for a in arrays.values()):
        raise ValueError(f"need 1-d columns of one non-zero length, got lengths {sorted(lengths)}")
    n = lengths.pop()
    idx = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    tail = (1 - level) / 2
    out = {}
    for name, a in arrays.items():
        low, high = np.quantile(a[idx].mean(1), [tail, 1 - tail])
        out[name] = Interval(float(a.mean()), float(low), float(high), n)
    return out
