"""sweep.csv, sweep.png and sweep.md in the sweep folder, from the collected rows."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..core.atomic import atomic_path, write_text_atomic
from .figure import plot_sweep, plot_why


def _ci(mean: float, low: float, high: float, digits: int = 3) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    if math.isnan(low):
        return f"{mean:.{digits}f} (no CI)"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def _signed(mean: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "–"
    star = " *" if low > 0 or high < 0 else ""
    return f"{mean:+.4f} [{low:+.4f}, {high:+.4f}]{star}"


def markdown_table(table: pd.DataFrame) -> str:
    head = ("| λ_priv | optim_steps | PLAN acc [95% t CI] | near-dup rate [95% CI] | closest distance [95% CI] "
            "| release MIA AUC [95% CI] | Δ closest, PLAN − linear [95% CI] | Δ near-dup share, PLAN − linear [95% CI] |\n"
            "|---|---|---|---|---|---|---|---|\n")
    lines = []
    for _, r in table.iterrows():
        is_cell = r["source"] == "plan"
        lam = f"{r['lambda_priv']:g}" if is_cell else f"{r['source']} ({r['cell']})"
        steps = f"{int(r['optim_steps'])}" if is_cell else ""
        near = _ci(r["near_dup_rate"], r["near_dup_low"], r["near_dup_high"])
        closest = _ci(r["closest_distance"], r["closest_low"], r["closest_high"], 4)
        pc = _signed(r["paired_closest_mean"], r["paired_closest_low"], r["paired_closest_high"]) if is_cell else ""
        pn = _signed(r["paired_near_dup_mean"], r["paired_near_dup_low"], r["paired_near_dup_high"]) if is_cell else ""
        attack = _ci(r["attack_auc"], r["attack_low"], r["attack_high"])
        lines.append(f"| {lam} | {steps} | {_ci(r['acc_mean'], r['acc_low'], r['acc_high'])} | {near} | {closest} "
                     f"| {attack} | {pc} | {pn} |")
    return head + "\n".join(lines) + "\n"


def why_table(table: pd.DataFrame) -> str:
    """Per cell: the paired difference over inner points, how often the closest point is a shared
    anchor, and φ_id's KL and the class term at the walk's first and last step."""
    head = ("| λ_priv | optim_steps | Δ closest, inner points [95% CI] | closest point is an anchor: linear / PLAN "
            "| KL(uniform ‖ φ_id) first → last | class CE first → last |\n|---|---|---|---|---|---|\n")
    lines = []
    for _, r in table[table["source"] == "plan"].iterrows():
        inner = _signed(r["paired_inner_closest_mean"], r["paired_inner_closest_low"], r["paired_inner_closest_high"])
        anchor = ("–" if math.isnan(r["endpoint_closest_plan"])
                  else f"{r['endpoint_closest_linear']:.0%} / {r['endpoint_closest_plan']:.0%}")
        lines.append(f"| {r['lambda_priv']:g} | {int(r['optim_steps'])} | {inner} | {anchor} "
                     f"| {r['priv_start']:.3f} → {r['priv_end']:.3f} | {r['cls_start']:.3f} → {r['cls_end']:.3f} |")
    return head + "\n".join(lines) + "\n"


def write_sweep_outputs(table: pd.DataFrame, out: Path, finished_run: Path, missing: list[str]) -> Path:
    """Write the three files; the path of sweep.md."""
    with atomic_path(out / "sweep.csv") as tmp:
        table.to_csv(tmp, index=False)
    cells = table[table["source"] == "plan"]
    for name, plot in (("sweep.png", plot_sweep), ("sweep_why.png", plot_why)):
        if not cells.empty:
            plot(table, out / name)
        else:  # no cell finished: a figure left by an earlier grid must not pass for this one
            (out / name).unlink(missing_ok=True)
    distance = cells["distance"].iloc[0] if not cells.empty else "?"
    seeds = int(cells["seeds"].max()) if not cells.empty else 0
    samples = int(cells["samples"].max()) if not cells.empty else 0
    pairs = float(cells["pairs"].max()) if not cells.empty else math.nan
    notes = []
    if "linear" not in set(table["source"]):
        notes.append("- The finished run trained no linear classifiers (downstream.sources): no linear baseline.")
    if cells.empty:
        notes.append("- No cell has finished yet: no figure.")
    if missing:
        notes.append(f"- Not finished yet, left out: {', '.join(missing)}. Run the same command again to finish them.")
    text = f"""# Privacy–utility sweep of {finished_run.name}

From the finished run `{finished_run}`: each cell re-ran walk, downstream, privacy_audit and report with
its own `walk.lambda_priv` and `walk.optim_steps`; data, gan, identity, auditor, class_guide and anchors
are the finished run's (hard links). A cell trains and audits PLAN only (`downstream.sources=[plan]`);
the linear and real rows are the finished run's. Cell folders: `{out}/<cell>/`.

![sweep](sweep.png)

{markdown_table(table)}
- **PLAN acc**: downstream test accuracy, mean over {seeds} seed(s) with a Student-t 95% interval.
- **near-dup rate / closest distance**: the {samples} audited samples of a source, distance `{distance}`
  (audit.path_distance): the share closer to a real training image than the near-duplicate threshold,
  and the mean distance to the closest one; percentile bootstrap 95% intervals over the samples.
- **Δ, PLAN − linear**: on the same {'?' if math.isnan(pairs) else int(pairs)} anchor pairs
  (audit.json path_curve.paired): per path, the closest distance along the path and the share of its
  points that are near-duplicates; paired bootstrap 95% intervals. `*`: the interval excludes 0.
  Positive Δ closest and negative Δ near-dup share mean PLAN keeps further from real patients than linear.
{chr(10).join(notes)}

## Why PLAN does or does not separate from linear

![why](sweep_why.png)

{why_table(table)}
- **Δ closest, inner points**: as Δ closest, over the path's inner points only, the ones the walk
  optimises. The anchors are shared by both methods and fixed, so where a path's closest point is an
  anchor the whole-path Δ is 0 whatever the walk did.
- **closest point is an anchor**: the share of paths whose closest point to a real image is one of
  its two anchors, for linear and for PLAN.
- **KL(uniform ‖ φ_id)**: the walk's privacy term per path (its chunks' batchmean KL summed), at the
  first and the last optimiser step; lower means φ_id is less sure whose image it is. The class term
  is the cross-entropy of φ_class for the path's class. Both as the walk logged them (mean over the
  paths still walking).
"""
    write_text_atomic(out / "sweep.md", text)
    return out / "sweep.md"
