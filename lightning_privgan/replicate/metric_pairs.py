"""Every figure of the single-run table as PLAN − linear inside each replicate (the same G,
split and anchors for both), then over replicates with a t-interval; and which columns of that
table are figures of their own rather than qualifiers of another."""
from __future__ import annotations

import pandas as pd

from .collect import Collected
from .statistics import t_interval

# Columns of the single-run table that qualify another (its interval bounds, seed spread, the FPR a
# TPR was read at): in the CSVs, not shown as figures of their own.
QUALIFIER_SUFFIXES = ("_std", "_low", "_high")
QUALIFIERS = {"attack_tpr_fpr"}


def shown_metrics(metrics: pd.Series) -> pd.Series:
    return ~(metrics.str.endswith(QUALIFIER_SUFFIXES) | metrics.isin(QUALIFIERS))


def plan_minus_linear_per_replicate(long: pd.DataFrame) -> pd.Series | None:
    """PLAN − linear per replicate of one figure's long rows (replicate, source, value), or None
    where either source is missing."""
    wide = long.pivot_table(index="replicate", columns="source", values="value", aggfunc="first")
    if not {"linear", "plan"} <= set(wide.columns):
        return None
    return (wide["plan"] - wide["linear"]).dropna()


def paired_metrics(c: Collected) -> pd.DataFrame:
    """Every metric of the single-run table as PLAN − linear inside each replicate (same G, split,
    anchors), with a t-interval over replicates; the words say only which way it points, since
    'better' depends on the metric (higher accuracy, lower near-duplicate rate)."""
    rows = []
    shown = c.metrics[c.metrics["source"].isin(["linear", "plan"]) & shown_metrics(c.metrics["metric"])]
    for metric, g in shown.groupby("metric", sort=False):
        diff = plan_minus_linear_per_replicate(g)
        if diff is None:
            continue
        iv = t_interval(diff.tolist())
        if iv.n < 2:
            words = f"no interval from {iv.n} replicate"
        elif not iv.significant:
            words = f"no significant difference across {iv.n} replicates"
        else:
            words = f"PLAN {'higher' if iv.mean > 0 else 'lower'} across {iv.n} replicates"
        rows.append({"metric": metric, "mean": iv.mean, "low": iv.low, "high": iv.high, "replicates": iv.n,
                     "difference": words})
    return pd.DataFrame(rows, columns=["metric", "mean", "low", "high", "replicates", "difference"])


def metric_pair_lines(paired: pd.DataFrame, ci) -> list[str]:
    """The report's table of paired_metrics; `ci(mean, low, high)` formats a cell."""
    if paired.empty:
        return []
    lines = ["", "PLAN − linear of each figure inside each replicate, then over replicates [95% t-interval]:", "",
             "| metric | PLAN − linear | across replicates |", "|---|---|---|"]
    lines += [f"| {p['metric']} | {ci(p['mean'], p['low'], p['high'])} | {p['difference']} |"
              for _, p in paired.iterrows()]
    return lines
