"""The sweep figure: PLAN's downstream accuracy against its near-duplicate rate, its mean
closest distance to a real image and the AUC of the best release-level membership attack on
its images (an empty panel when the audits ran none), one marker per cell (colour = optim_steps, label =
λ_priv), 95% intervals both ways, the finished run's linear source as the reference."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..audit.figures import save_figure

PANELS = (("near_dup", "near_dup_rate", "near-duplicate rate of the audited samples (lower = more private)"),
          ("closest", "closest_distance", "mean distance to the closest real image (higher = more private)"),
          ("attack", "attack_auc", "release-level membership AUC, best attack (0.5 = no leak)"))


def _err(rows: pd.DataFrame, mean: str, low: str, high: str):
    """Asymmetric error bars [2, N]; a missing interval draws none."""
    lo = (rows[mean] - rows[low]).fillna(0).clip(lower=0)
    hi = (rows[high] - rows[mean]).fillna(0).clip(lower=0)
    return [lo.to_numpy(), hi.to_numpy()]


def _by_optim_steps(cells: pd.DataFrame, cmap) -> list[tuple[int, int, pd.DataFrame, tuple]]:
    """(index, optim_steps, its cells, its colour) per optim_steps value: one colour per walk length."""
    steps = sorted(cells["optim_steps"].unique())
    return [(i, int(s), cells[cells["optim_steps"] == s], cmap(i / max(len(steps) - 1, 1) * 0.85))
            for i, s in enumerate(steps)]


def plot_sweep(table: pd.DataFrame, out_png: Path) -> Path:
    import matplotlib  # loaded only to draw a figure, on the file-only Agg backend

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = table[table["source"] == "plan"]
    linear = table[table["source"] == "linear"]
    real = table[table["source"] == "real"]
    fig, axes = plt.subplots(1, len(PANELS), figsize=(5.5 * len(PANELS), 4.5), sharey=True)
    for ax, (key, col, label) in zip(axes, PANELS):
        for i, s, rows, colour in _by_optim_steps(cells, plt.get_cmap("viridis")):
            ax.errorbar(rows[col], rows["acc_mean"], xerr=_err(rows, col, f"{key}_low", f"{key}_high"),
                        yerr=_err(rows, "acc_mean", "acc_low", "acc_high"), fmt="o", color=colour, capsize=3,
                        label=f"PLAN, optim_steps {int(s)}")
            for _, r in rows.iterrows():
                ax.annotate(f"λ={r['lambda_priv']:g}", (r[col], r["acc_mean"]), textcoords="offset points",
                            xytext=(5, 4 - 11 * i), fontsize=8, color=colour)  # rows apart where cells coincide
        if not linear.empty:
            ax.errorbar(linear[col], linear["acc_mean"], xerr=_err(linear, col, f"{key}_low", f"{key}_high"),
                        yerr=_err(linear, "acc_mean", "acc_low", "acc_high"), fmt="X", color="black", ms=9,
                        capsize=3, label="linear (finished run)")
        if not real.empty and not math.isnan(real["acc_mean"].iloc[0]):
            ax.axhline(real["acc_mean"].iloc[0], color="grey", ls=":", label="real data (finished run)")
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("downstream test accuracy (mean, 95% t CI over seeds)")
    axes[0].legend(fontsize=8, loc="best")
    distance = cells["distance"].iloc[0] if not cells.empty else "?"
    fig.suptitle(f"Privacy–utility sweep: λ_priv × optim_steps (distance: {distance}; x bars: bootstrap 95% CI)")
    fig.tight_layout()
    return save_figure(fig, out_png)


def plot_why(table: pd.DataFrame, out_png: Path) -> Path:
    """Why PLAN does or does not separate from linear, per λ_priv (issue #12 item 8): the paired
    PLAN − linear closest distance over whole paths and over the inner points only (the anchors
    are shared and often the closest points), and how far the walk moved φ_id's KL to uniform."""
    import matplotlib  # loaded only to draw a figure, on the file-only Agg backend

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.transforms import ScaledTranslation

    cells = table[table["source"] == "plan"].sort_values("lambda_priv")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, s, rows, colour in _by_optim_steps(cells, plt.get_cmap("viridis")):
        x = rows["lambda_priv"]
        for j, (key, style, what) in enumerate((("paired_closest", "o--", "whole path"),
                                                 ("paired_inner_closest", "s-", "inner points"))):
            # dodged sideways by a few points, so the two intervals of one cell do not overlap
            dodge = ScaledTranslation((j - 0.5) * 0.08 + i * 0.16, 0, fig.dpi_scale_trans)
            axes[0].errorbar(x, rows[f"{key}_mean"], yerr=_err(rows, f"{key}_mean", f"{key}_low", f"{key}_high"),
                             fmt=style, color=colour, capsize=3, label=f"{what}, optim_steps {int(s)}",
                             transform=axes[0].transData + dodge)
            for bound in ("low", "high"):  # a shifted artist does not scale the axes: these do
                axes[0].plot(x, rows[f"{key}_{bound}"], alpha=0)
        axes[1].plot(x, rows["priv_start"], ":", color=colour, marker=".", label=f"first step, optim_steps {int(s)}")
        axes[1].plot(x, rows["priv_end"], "-", color=colour, marker="o", label=f"last step, optim_steps {int(s)}")
    axes[0].axhline(0, color="black", lw=0.8)
    axes[0].set_ylabel("PLAN − linear closest distance to a real image\n(paired mean, bootstrap 95% CI)")
    axes[1].set_ylabel("KL(uniform ‖ φ_id) per path, summed over chunks\n(lower = φ_id less sure who it is)")
    # set by hand: the dodged artists confuse autoscaling on a symlog axis
    right = max(float(cells["lambda_priv"].max()), 0.03) * 1.6 if not cells.empty else 1.0
    for ax in axes:
        ax.set_xscale("symlog", linthresh=0.03)
        ax.set_xlim(-0.005, right)
        ax.set_xlabel("λ_priv")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle("Why PLAN does or does not move away from real patients")
    fig.tight_layout()
    return save_figure(fig, out_png)
