"""The forest plot: PLAN − linear per replicate (its own bootstrap CI over pairs) and pooled
over replicates (the hierarchical bootstrap's CI), one panel per paired figure."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .internals import save_figure


def forest_plot(paired: pd.DataFrame, pooled: pd.DataFrame, out_png: Path, distance: str | None) -> Path | None:
    """`paired`: replicate, figure, mean, low, high; `pooled`: figure, mean, low, high, verdict."""
    if pooled.empty:
        return None
    import matplotlib  # loaded only to draw a figure, on the file-only Agg backend

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = list(pooled["figure"])
    fig, axes = plt.subplots(1, len(figures), figsize=(3.6 * len(figures), 0.45 * paired["replicate"].nunique() + 2.2),
                             squeeze=False)
    for ax, figure in zip(axes[0], figures):
        rows = paired[paired["figure"] == figure].reset_index(drop=True)
        pool = pooled[pooled["figure"] == figure].iloc[0]
        labels = list(rows["replicate"]) + ["pooled"]
        y = list(range(len(labels)))[::-1]
        ax.errorbar(rows["mean"], y[:-1], xerr=[rows["mean"] - rows["low"], rows["high"] - rows["mean"]], fmt="o",
                    color="tab:blue", capsize=3, ms=4)
        ax.errorbar([pool["mean"]], [y[-1]], xerr=[[pool["mean"] - pool["low"]], [pool["high"] - pool["mean"]]],
                    fmt="D", color="black", capsize=4, ms=7)
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_yticks(y, labels)
        title = figure.replace("_", " ") + (f" ({distance})" if distance and "distance" in figure else "")
        ax.set_title(f"{title}\n{pool['verdict']}", fontsize=8)
        ax.set_xlabel("PLAN − linear")
    fig.suptitle("PLAN − linear per replicate (95% bootstrap CI over pairs) and pooled (hierarchical bootstrap)",
                 fontsize=9)
    fig.tight_layout()
    return save_figure(fig, out_png)
