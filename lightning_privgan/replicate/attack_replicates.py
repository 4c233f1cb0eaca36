"""The release-level membership attacks (privacy_audit/release_attacks.csv) across replicates.

The single-run report gives every attack (closest record and distance ratio per distance, the
generator's reconstruction and discriminator attacks, the null control on outsiders) with a
bootstrap interval over patients, conditional on that run's G. Here each figure is averaged over
replicates with a Student-t interval over replicates, and PLAN − linear is taken inside each
replicate (the same real split, G and anchors for both sources) and then over replicates, so the
answer to "is PLAN harder to attack than linear?" holds the upstream draw.

Generic like collect.py: every numeric column of an attack row (but its interval bounds and the
counts it was measured on) is a figure, so an attack or a column a later audit adds appears here
with no code.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .collect import with_baseline
from .metric_pairs import plan_minus_linear_per_replicate
from .statistics import t_interval, verdict

ATTACKS = Path("privacy_audit") / "release_attacks.csv"
KEYS = ("source", "attack", "distance", "control")
# Columns of an attack row that are not a result: counts, and the FPR each TPR was read at.
NOT_FIGURES = {"members", "nonmembers", "synthetic"}
# Controls that are attacks on something (the split-bias rows only vouch for the split).
SHOWN_CONTROLS = ("attack", "null_control")
COLUMNS = ["replicate", "source", "attack", "distance", "control", "figure", "value"]
# A membership attack's figures: lower on PLAN's images than on linear's is PLAN safer (an AUC or
# member share near 0.5 means the attacker cannot tell members from non-members).
PLAN_SAFER_IF = "lower"
NULL_SOURCE, NULL_LABEL = "outsiders", "null control"  # attack_table's source name for the null control
# Table columns in this order whichever run wrote its rows first (a sweep cell's PLAN comes first).
SOURCE_ORDER = ("linear", "plan", "ksame", "random", NULL_SOURCE, "generator")
# The paired figures the report shows (the rest, TPR at low FPR and balanced accuracy, are in the CSV).
HEADLINE = ("auc", "member_share")


def _figure_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in KEYS and c not in NOT_FIGURES and not c.endswith(("_low", "_high"))
            and not c.startswith("fpr_for_") and pd.api.types.is_numeric_dtype(table[c])]


def collect_attacks(folders: list[Path], labels: list[str], baselines: list[Path] | None = None) -> pd.DataFrame:
    """replicate, source, attack, distance, control, figure, value: every attack figure of every
    replicate that has release_attacks.csv (a run audited with audit.release_attacks false has none);
    `baselines` as in collect.collect (a sweep cell attacks PLAN only)."""
    frames = []
    for i, (folder, name) in enumerate(zip(folders, labels)):
        path = Path(folder) / ATTACKS
        if not path.is_file():
            continue
        table = pd.read_csv(path, keep_default_na=False, na_values=[""])
        if baselines is not None:
            table = with_baseline(table, Path(baselines[i]) / ATTACKS)
        missing = [k for k in KEYS if k not in table.columns]
        if missing:
            raise ValueError(f"{path}: no column {', '.join(missing)}; it is not a release_attacks.csv of this package")
        table["distance"] = table["distance"].fillna("")
        long = table.melt(id_vars=list(KEYS), value_vars=_figure_columns(table), var_name="figure",
                          value_name="value").dropna(subset=["value"])
        frames.append(long.assign(replicate=name))
    return pd.concat(frames, ignore_index=True)[COLUMNS] if frames else pd.DataFrame(columns=COLUMNS)


def attack_summary(attacks: pd.DataFrame) -> pd.DataFrame:
    """Per source, attack, distance, control and figure: the mean over replicates with a t-interval."""
    rows = []
    for key, g in attacks.groupby(["source", "attack", "distance", "control", "figure"], sort=False):
        iv = t_interval(g["value"].tolist())
        rows.append(dict(zip(("source", "attack", "distance", "control", "figure"), key), mean=iv.mean, low=iv.low,
                         high=iv.high, replicates=iv.n))
    return pd.DataFrame(rows, columns=["source", "attack", "distance", "control", "figure", "mean", "low", "high",
                                       "replicates"])


def plan_minus_linear(attacks: pd.DataFrame) -> pd.DataFrame:
    """PLAN − linear of every attack figure, per replicate (same run, same members and
    non-members), and its t-interval over the replicates that have both, with the verdict."""
    shown = attacks[attacks["control"] == "attack"]
    rows = []
    for (attack, distance, figure), g in shown.groupby(["attack", "distance", "figure"], sort=False):
        diff = plan_minus_linear_per_replicate(g)
        if diff is None:
            continue
        iv = t_interval(diff.tolist())
        words = verdict(iv, PLAN_SAFER_IF, iv.n, better="safer", worse="less safe")
        null = attacks[(attacks["source"] == NULL_SOURCE) & (attacks["attack"] == attack)
                       & (attacks["distance"] == distance) & (attacks["figure"] == figure)]["value"]
        mean_of = g.groupby("source")["value"].mean()
        # An AUC under the no-release baseline is not less leakage (an attacker can flip the score).
        below = bool(len(null)) and float(mean_of["plan"]) < float(null.mean())
        if below and float(mean_of["linear"]) <= float(null.mean()):
            words = (f"no leak in either: both sit at or below the null control across {iv.n} replicates, "
                     "so lower is not safer")
        elif below:
            words += "; PLAN reaches its null control (the part of the difference below it is no further gain)"
        rows.append({"attack": attack, "distance": distance, "figure": figure, "mean": iv.mean, "low": iv.low,
                     "high": iv.high, "replicates": iv.n, "per_replicate": ";".join(f"{v:.4g}" for v in diff),
                     "plan_below_null": below, "verdict": words})
    return pd.DataFrame(rows, columns=["attack", "distance", "figure", "mean", "low", "high", "replicates",
                                       "per_replicate", "plan_below_null", "verdict"])


def _name(attack: str, distance: str) -> str:
    return f"{attack.replace('_', ' ')} ({distance})" if distance else attack.replace("_", " ")


def attack_lines(summary: pd.DataFrame, paired: pd.DataFrame, ci, label) -> list[str]:
    """The report's section: the AUC of every attack per source (mean [t-CI] over replicates) and
    PLAN − linear of every attack figure. `ci(mean, low, high, digits)` and `label(source)` format."""
    if summary.empty:
        return ["No release-level attacks in these replicates (audit.release_attacks was false, or the runs "
                "predate them)."]
    auc = summary[(summary["figure"] == "auc") & summary["control"].isin(SHOWN_CONTROLS)]
    found = list(dict.fromkeys(auc["source"]))
    sources = [s for s in SOURCE_ORDER if s in found] + [s for s in found if s not in SOURCE_ORDER]
    lines = ["ROC AUC of each attack (0.5: the attacker cannot tell members from non-members), mean over replicates "
             "[95% t-interval over replicates]; the null control attacks images of patients in neither split.",
             "", "| attack | " + " | ".join(NULL_LABEL if s == NULL_SOURCE else label(s) for s in sources) + " |", "|" + "---|" * (len(sources) + 1)]
    for (attack, distance), g in auc.groupby(["attack", "distance"], sort=False):
        cells = []
        for s in sources:
            row = g[g["source"] == s]
            cells.append(ci(*row.iloc[0][["mean", "low", "high"]], 3) if len(row) else "—")
        lines.append(f"| {_name(attack, distance)} | " + " | ".join(cells) + " |")
    if not paired.empty:
        lines += ["", "PLAN − linear inside each replicate (the same members, non-members and G), then over replicates "
                  "[95% t-interval]; lower is PLAN safer as long as PLAN stays at or above the null control (the "
                  "attack's score with no release behind it: the split's own bias), which the verdict checks.", "",
                  "| attack | figure | PLAN − linear | verdict | per replicate |", "|---|---|---|---|---|"]
        for _, p in paired[paired["figure"].isin(HEADLINE)].iterrows():
            lines.append(f"| {_name(p['attack'], p['distance'])} | {p['figure']} | "
                         f"{ci(p['mean'], p['low'], p['high'], 3)} | {p['verdict']} | {p['per_replicate']} |")
    return lines
