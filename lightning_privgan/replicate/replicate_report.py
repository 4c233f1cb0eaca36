"""runs/<name>-replicates/report.md, with report/*.csv and the forest plot: the single-run
report's figures across replicates.

- every metric of every source: the mean over replicates and a 95% Student-t interval over
  replicates (the replicate is the unit: one whole-pipeline draw);
- PLAN − linear on the shared pairs: each replicate's mean with its own bootstrap CI over
  pairs, and the pooled mean with a two-level (hierarchical) percentile bootstrap CI, drawn as a
  forest plot, with the verdict in words;
- for every per-seed figure, how much of the spread is upstream (G, φ_id, auditor, φ_class,
  anchors, walk) and how much the downstream seeds (statistics.variance_split).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import pandas as pd

from .attack_replicates import attack_lines, attack_summary, collect_attacks, plan_minus_linear
from .collect import Collected, better_if, collect
from .forest import forest_plot
from .internals import atomic_path, source_label, write_text_atomic
from .metric_pairs import metric_pair_lines, paired_metrics, shown_metrics
from .replicate_set import ReplicateSet
from .statistics import LEVEL, hierarchical_bootstrap, t_interval, variance_split, verdict

SOURCE_ORDER = ("real", "linear", "plan", "ksame")


def metric_summary(c: Collected) -> pd.DataFrame:
    rows = []
    for (source, metric), g in c.metrics.groupby(["source", "metric"], sort=False):
        iv = t_interval(g["value"].tolist())
        rows.append({"source": source, "metric": metric, "mean": iv.mean, "low": iv.low, "high": iv.high,
                     "replicates": iv.n, "values": ";".join(f"{v:.6g}" for v in g["value"])})
    return pd.DataFrame(rows, columns=["source", "metric", "mean", "low", "high", "replicates", "values"])


def pooled_paired(c: Collected, resamples: int = 10_000, seed: int = 0) -> pd.DataFrame:
    rows = []
    for figure, by_replicate in c.pair_differences.items():
        groups = [by_replicate[r] for r in c.replicates if r in by_replicate]
        iv = hierarchical_bootstrap(groups, resamples=resamples, seed=seed)
        rows.append({"figure": figure, "mean": iv.mean, "low": iv.low, "high": iv.high, "replicates": iv.n,
                     "plan_better_if": better_if(figure), "verdict": verdict(iv, better_if(figure), iv.n)})
    return pd.DataFrame(rows, columns=["figure", "mean", "low", "high", "replicates", "plan_better_if", "verdict"])


def variance_table(c: Collected) -> pd.DataFrame:
    rows = []
    for (table, source, metric), g in c.per_seed.groupby(["table", "source", "metric"], sort=False):
        split = variance_split([grp["value"].tolist() for _, grp in g.groupby("replicate", sort=False)])
        if split is None or (split.between == 0 and split.within == 0):
            continue  # fewer than 2 replicates with 2 seeds, or a setting equal everywhere
        rows.append({"table": table, "source": source, "metric": metric, **split.to_dict()})
    return pd.DataFrame(rows, columns=["table", "source", "metric", "replicates", "between", "within", "seeds",
                                       "upstream", "upstream_share"])


def _ordered_sources(sources) -> list[str]:
    return [s for s in SOURCE_ORDER if s in sources] + [s for s in sources if s not in SOURCE_ORDER]


def _ci(mean: float, low: float, high: float, digits: int = 4) -> str:
    if mean is None or not math.isfinite(mean):
        return "—"
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def _metric_lines(summary: pd.DataFrame) -> list[str]:
    shown = summary[shown_metrics(summary["metric"])]
    sources = _ordered_sources(list(dict.fromkeys(shown["source"])))
    lines = ["| metric | " + " | ".join(source_label(s) for s in sources) + " |", "|" + "---|" * (len(sources) + 1)]
    for metric in dict.fromkeys(shown["metric"]):
        cells = []
        for s in sources:
            row = shown[(shown["metric"] == metric) & (shown["source"] == s)]
            cells.append(_ci(*row.iloc[0][["mean", "low", "high"]]) if len(row) else "—")
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    return lines


def _paired_lines(c: Collected, pooled: pd.DataFrame) -> list[str]:
    header = ["figure", "pooled PLAN − linear [95% CI]", "verdict"] + list(c.replicates)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, p in pooled.iterrows():
        cells = [p["figure"], _ci(p["mean"], p["low"], p["high"]), p["verdict"]]
        for r in c.replicates:
            row = c.paired[(c.paired["figure"] == p["figure"]) & (c.paired["replicate"] == r)]
            cells.append(_ci(*row.iloc[0][["mean", "low", "high"]]) if len(row) else "—")
        lines.append("| " + " | ".join(str(x) for x in cells) + " |")
    return lines


def _variance_lines(var: pd.DataFrame) -> list[str]:
    if var.empty:
        return ["Not available: it needs at least two finished replicates with at least two downstream seeds each."]
    lines = ["| figure | source | replicates | seeds | between-replicate var. of the means | within-replicate "
             "seed var. | upstream var. | upstream share |", "|---|---|---|---|---|---|---|---|"]
    for _, v in var.iterrows():
        share = "—" if not math.isfinite(v["upstream_share"]) else f"{v['upstream_share']:.0%}"
        lines.append(f"| {v['table']}: {v['metric']} | {source_label(v['source'])} | {int(v['replicates'])} | "
                     f"{v['seeds']:g} | {v['between']:.3g} | {v['within']:.3g} | {v['upstream']:.3g} | {share} |")
    return lines


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def build_replicate_report(set_folder: Path, folders: list[Path], missing: Sequence[str] = (), title: str | None = None,
                           resamples: int = 10_000, labels: Sequence[str] | None = None,
                           baselines: Sequence[Path] | None = None) -> Path:
    """Write <set_folder>/report.md and <set_folder>/report/ from the finished replicate `folders`
    (`missing`: the replicates not finished, named in the report; `baselines`: for sweep cells,
    the finished run of each, whose sources the cell did not train fill its tables); the path of
    report.md."""
    set_folder = Path(set_folder)
    if not folders:
        raise FileNotFoundError(f"no finished replicate in {set_folder}: nothing to report (run privgan replicate first)")
    baselines = None if baselines is None else [Path(b) for b in baselines]
    c = collect([Path(f) for f in folders], None if labels is None else list(labels), baselines)
    out = set_folder / "report"
    out.mkdir(parents=True, exist_ok=True)
    summary, pooled, var = metric_summary(c), pooled_paired(c, resamples), variance_table(c)
    _write_csv(c.metrics, out / "per_replicate.csv")
    _write_csv(summary, out / "metrics.csv")
    _write_csv(pd.concat([c.paired.assign(level="replicate"), pooled.assign(replicate="pooled", level="pooled")],
                         ignore_index=True), out / "paired.csv")
    _write_csv(var, out / "variance.csv")
    metric_pairs = paired_metrics(c)
    _write_csv(metric_pairs, out / "metrics_paired.csv")
    attacks = collect_attacks([Path(f) for f in folders], c.replicates, baselines)
    attack_means, attack_paired = attack_summary(attacks), plan_minus_linear(attacks)
    _write_csv(attack_means, out / "attacks.csv")
    _write_csv(attack_paired, out / "attacks_paired.csv")
    png = forest_plot(c.paired, pooled, out / "forest.png", c.distance)
    n = len(c.replicates)
    md = [f"# Replicates: {title or set_folder.name}", "",
          f"{n} finished whole-pipeline replicate{'s' if n != 1 else ''} ({', '.join(c.replicates)}), each with its own "
          "seeds for every stage after the data stage, which all share (one set of images, one patient split); the "
          "seeds are in replicates.json and each replicate's config.yaml."]
    if missing:
        md.append(f"Not finished, left out: {', '.join(missing)}.")
    if baselines is not None:
        md.append("Sweep cells train and audit PLAN only: the other sources' figures (real, linear, k-same) are each "
                  "replicate's own finished run's, which do not depend on the swept setting.")
    md += ["", "## PLAN − linear across replicates", ""]
    if pooled.empty:
        md.append("No paired figures (the replicates lack linear or PLAN paths).")
    else:
        md += [f"Per replicate: the mean over its pairs with its own {LEVEL:.0%} percentile bootstrap CI over pairs. "
               f"Pooled: the mean of the replicate means, {LEVEL:.0%} CI from a hierarchical bootstrap (replicates "
               "drawn with replacement, then each drawn replicate's pairs), so the interval holds both the upstream "
               "draw and the pairs. Distances: higher is PLAN better; shares: lower is PLAN better."
               + (f" Path distance: {c.distance}." if c.distance else ""), ""]
        md += _paired_lines(c, pooled) + [""]
        md += [f"- {p['figure']}: {p['verdict']} (pooled {_ci(p['mean'], p['low'], p['high'])})."
               for _, p in pooled.iterrows()]
        if png:
            md += ["", "![forest plot](report/forest.png)"]
    md += ["", f"## Every figure of the single-run report, over {n} replicates", "",
           f"Mean over replicates [{LEVEL:.0%} Student-t interval over replicates: mean ± t·sd/√n, n = {n}]; a "
           "single replicate gives no interval. The single-run ± (std over downstream seeds, KID subsets) columns "
           "are in report/metrics.csv.", ""]
    md += _metric_lines(summary)
    md += metric_pair_lines(metric_pairs, _ci)
    md += ["", f"## Release-level membership attacks, over {n} replicates", ""]
    md += attack_lines(attack_means, attack_paired, _ci, source_label)
    md += ["", "## Where the spread comes from: upstream stages or downstream seeds", "",
           "For every per-seed figure (downstream/runs.csv, privacy_audit/mia_runs.csv): the variance over replicates "
           "of the replicate means (between), the mean over replicates of the variance over downstream seeds "
           "(within), and the upstream stages' own variance, between − within / seeds (method of moments, floored "
           "at 0). Upstream share: upstream / (upstream + within), the part of one run's spread that a rerun of the "
           "downstream seeds alone would never show.", ""]
    md += _variance_lines(var)
    md += ["", "Tables: [report/metrics.csv](report/metrics.csv), [report/per_replicate.csv](report/per_replicate.csv), "
           "[report/paired.csv](report/paired.csv), [report/variance.csv](report/variance.csv), "
           "[report/metrics_paired.csv](report/metrics_paired.csv), [report/attacks.csv](report/attacks.csv), [report/attacks_paired.csv](report/attacks_paired.csv).", ""]
    report = set_folder / "report.md"
    write_text_atomic(report, "\n".join(md))
    return report


def write_set_report(rs: ReplicateSet) -> Path:
    """The report across the replicates of `rs` finished so far; the unfinished ones are named in it."""
    done = [i for i in range(rs.count) if rs.status(i) == "done"]
    missing = [rs.replicate_dir(i).name for i in range(rs.count) if i not in done]
    return build_replicate_report(rs.folder, [rs.replicate_dir(i) for i in done], missing,
                                  title=f"{rs.experiment} ({rs.count} replicates)")
