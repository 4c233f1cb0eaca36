"""Log-log ROC of one attack, one curve per source: the low-FPR corner, where an attack that
singles out a few members shows, is a speck on a linear plot (Carlini et al. 2022)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..figures import save_figure


def log_axis_floor(curves: dict[str, dict]) -> float:
    """The left/bottom edge: half the smallest non-zero rate any curve reaches (0 has no log)."""
    positive = [v for c in curves.values() for v in (*c["fpr"], *c["tpr"]) if v > 0]
    return 0.5 * min(positive) if positive else 1e-3


def plot_attack_rocs(curves: dict[str, dict], out_png: str | Path, title: str) -> Path:
    """`curves`: {label: {'fpr': [...], 'tpr': [...], 'auc': float}} -> PNG with a chance diagonal."""
    if not curves:
        raise ValueError(f"no ROC curve to draw for {title!r}")
    import matplotlib  # loaded only to draw a figure, on the file-only Agg backend

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    floor = log_axis_floor(curves)
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    for label, c in curves.items():
        fpr, tpr = np.clip(c["fpr"], floor, 1.0), np.clip(c["tpr"], floor, 1.0)
        ax.step(fpr, tpr, where="post", label=f"{label} (AUC {c['auc']:.3f})")
    ax.plot([floor, 1], [floor, 1], ls="--", color="grey", lw=1, label="chance")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(floor, 1)
    ax.set_ylim(floor, 1.05)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return save_figure(fig, out_png)
