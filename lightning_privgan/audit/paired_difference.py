"""PLAN against linear on the same anchor pairs: the paired difference, with a bootstrap CI.

Both methods walk the same pairs, so the fair comparison is per pair: d_p = PLAN_p − linear_p.
The pairs are resampled with replacement (percentile bootstrap of the mean of d), which
assumes nothing about the distribution of d. A CI that excludes 0 is a difference at this
budget; one that straddles 0 is not, however the means compare.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch


@dataclass
class PairedDifference:
    mean: float  # mean over pairs of PLAN − linear
    low: float  # 95% bootstrap CI of that mean
    high: float
    pairs: int
    resamples: int

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0

    def to_dict(self) -> dict:
        return asdict(self)


def paired_bootstrap(linear: torch.Tensor, plan: torch.Tensor, resamples: int = 10_000, seed: int = 0,
                     level: float = 0.95) -> PairedDifference:
    """Mean of plan − linear over pairs [P] and its percentile bootstrap CI."""
    linear, plan = torch.as_tensor(linear, dtype=torch.float64), torch.as_tensor(plan, dtype=torch.float64)
    if linear.shape != plan.shape or linear.dim() != 1 or len(linear) < 2:
        raise ValueError(f"need two per-pair vectors of one length >= 2, got {tuple(linear.shape)} and {tuple(plan.shape)}")
    if resamples < 100 or not 0 < level < 1:
        raise ValueError(f"need resamples >= 100 and 0 < level < 1, got {resamples} and {level}")
    diff = plan - linear
    g = torch.Generator().manual_seed(seed)
    means = diff[torch.randint(0, len(diff), (resamples, len(diff)), generator=g)].mean(1)
    tail = (1 - level) / 2
    low, high = torch.quantile(means, torch.tensor([tail, 1 - tail], dtype=torch.float64)).tolist()
    return PairedDifference(float(diff.mean()), low, high, len(diff), resamples)


def near_duplicate_share(step_distances: torch.Tensor, threshold: float) -> torch.Tensor:
    """Per path [P]: the share of its points [P, n] closer to a real image than `threshold`."""
    return (step_distances < threshold).double().mean(1)


def endpoint_closest_share(step_distances: torch.Tensor) -> float:
    """Share of paths [P, n] whose closest point to a real image is an endpoint (an anchor).
    Both methods share the anchors and the walk cannot move them, so on such a path the
    per-path closest distance is the same for linear and PLAN whatever the walk does."""
    closest = step_distances.argmin(1)
    return float(((closest == 0) | (closest == step_distances.shape[1] - 1)).double().mean())


# Which way each paired figure favours PLAN: a path that stays farther from the real images
# is the more private one; a smaller share of near-duplicate points too.
PLAN_BETTER_IF = {"closest_distance": "higher", "near_duplicate_share": "lower",
                  "inner_closest_distance": "higher", "inner_near_duplicate_share": "lower"}


def paired_values(linear: torch.Tensor, plan: torch.Tensor, threshold: float) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """{figure: (linear per pair [P], PLAN per pair [P])} from the step distances [P, n] of each
    method: the closest distance and the near-duplicate share of each path, and the same two over
    the inner points only. The report across replicates recomputes these from path_distances.csv,
    so a figure added here reaches it too (give its direction in PLAN_BETTER_IF)."""
    linear, plan = linear.double(), plan.double()
    out = {"closest_distance": (linear.min(1).values, plan.min(1).values),
           "near_duplicate_share": (near_duplicate_share(linear, threshold), near_duplicate_share(plan, threshold))}
    if linear.shape[1] > 2:
        inner_linear, inner_plan = linear[:, 1:-1], plan[:, 1:-1]
        out["inner_closest_distance"] = (inner_linear.min(1).values, inner_plan.min(1).values)
        out["inner_near_duplicate_share"] = (near_duplicate_share(inner_linear, threshold),
                                             near_duplicate_share(inner_plan, threshold))
    return out


def compare_paths(linear: torch.Tensor | None, plan: torch.Tensor | None, threshold: float, seed: int) -> dict:
    """PLAN − linear per shared pair from the step distances [P, n] of each method: the closest
    distance and the near-duplicate share of each path, with bootstrap CIs ({} without both methods).

    The same two figures over the inner points only (the points the walk optimises) separate
    what PLAN changed from the anchors both methods share; `endpoint_closest` says how many
    paths' closest point is an anchor, i.e. how often the whole-path figure cannot differ."""
    if linear is None or plan is None or plan.shape[0] < 2:
        return {}
    values = paired_values(linear, plan, threshold)
    out: dict = {name: paired_bootstrap(lin, pl, seed=seed).to_dict() for name, (lin, pl) in values.items()}
    out["threshold"] = threshold
    out["endpoint_closest"] = {"linear": endpoint_closest_share(linear.double()),
                               "plan": endpoint_closest_share(plan.double())}
    return out


def describe(name: str, d: PairedDifference, plan_better_if: str) -> str:
    """One sentence for the report; `plan_better_if` is 'higher' or 'lower'."""
    better = d.mean > 0 if plan_better_if == "higher" else d.mean < 0
    if not d.significant:
        verdict = "no significant difference at this budget"
    else:
        verdict = "PLAN is better" if better else "PLAN is worse"
    return (f"{name}, PLAN − linear over {d.pairs} pairs: {d.mean:+.4f} (95% CI {d.low:+.4f} to {d.high:+.4f}): "
            f"{verdict}.")
