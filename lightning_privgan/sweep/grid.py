"""The sweep's grid: λ_priv × walk.optim_steps, one run folder per cell.

The second axis is optim_steps, not n_steps: optim_steps changes only how far PLAN's
optimiser moves the path away from the straight line (λ_priv weighs the privacy term in
that objective), so the linear paths, and with them the baseline and the paired
comparison's reference, stay the same in every cell. n_steps would change the linear
paths too, and every cell would need its own baseline.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_LAMBDA_PRIV = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0)
DEFAULT_OPTIM_STEPS = (100, 300)


@dataclass(frozen=True)
class SweepCell:
    lambda_priv: float
    optim_steps: int

    @property
    def name(self) -> str:
        """Its folder under the sweep folder, e.g. lambda0.03_steps100."""
        return f"lambda{self.lambda_priv:g}_steps{self.optim_steps}"

    def overrides(self) -> list[str]:
        return [f"walk.lambda_priv={self.lambda_priv!r}", f"walk.optim_steps={self.optim_steps}"]


def _parse_values(text: str, option: str, convert, kind: str, example: str, in_range, range_text: str) -> tuple:
    """A comma-separated list of `option`, each value converted, checked, and given once."""
    values = []
    for part in _parts(text, option):
        try:
            value = convert(part)
        except ValueError:
            raise ValueError(f"{option}: {part!r} is not {kind} (give a comma-separated list, e.g. {example})") from None
        if not in_range(value):
            raise ValueError(f"{option}: {part!r} is out of range; {range_text}")
        values.append(value)
    return _distinct(values, option)


def parse_lambdas(text: str, option: str = "--lambda-priv") -> tuple[float, ...]:
    """'0,0.1,1' -> (0.0, 0.1, 1.0); every value finite and >= 0."""
    return _parse_values(text, option, float, "a number", "0,0.1,1", lambda v: math.isfinite(v) and v >= 0,
                         "λ_priv must be a finite number >= 0")


def parse_steps(text: str, option: str = "--optim-steps") -> tuple[int, ...]:
    """'100,300' -> (100, 300); every value a whole number >= 0 (0: PLAN stays the straight line)."""
    return _parse_values(text, option, int, "a whole number", "100,300", lambda v: v >= 0,
                         "optim_steps must be >= 0")


def expand_grid(lambdas: tuple[float, ...], steps: tuple[int, ...]) -> list[SweepCell]:
    """Every (λ_priv, optim_steps) pair, a row of λ per step count, in the order given: on a
    slow machine the cells wanted first (the extremes, say) can be put first."""
    if not lambdas or not steps:
        raise ValueError("the sweep grid needs at least one λ_priv and one optim_steps value")
    return [SweepCell(lam, s) for s in steps for lam in lambdas]


def _parts(text: str, option: str) -> list[str]:
    parts = [p.strip() for p in str(text).split(",")]
    if not text or any(p == "" for p in parts):
        raise ValueError(f"{option}: {text!r} has an empty value; give a comma-separated list, e.g. 0,0.1,1")
    return parts


def _distinct(values: list, option: str) -> tuple:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise ValueError(f"{option}: {seen[0]!r} is given twice")
    return tuple(values)
