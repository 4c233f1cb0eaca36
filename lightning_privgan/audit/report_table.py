"""The paper-style table, assembled from saved results only (the downstream summary and audit.json)."""
from __future__ import annotations

import math

import pandas as pd

SOURCE_ORDER = ("real", "linear", "plan", "ksame", "random")
SOURCE_LABELS = {"real": "Real", "linear": "Linear", "plan": "PLAN", "ksame": "k-same", "random": "G random samples"}
DISTANCE_LABELS = {"auditor": "auditor", "ssim": "SSIM", "l2": "L2", "lpips": "LPIPS"}


def report_table(summary: pd.DataFrame | None, audit: dict | None) -> pd.DataFrame:
    """One row per source from the downstream summary and audit.json, numeric columns (NaN
    where a stage has not produced the figure) but for attack_distance, the distance of the best
    release-level attack."""
    sources = list(SOURCE_ORDER)
    if summary is not None:
        sources += [s for s in summary["source"] if s not in sources]
    best_attacks = ((audit or {}).get("release_attacks") or {}).get("best") or {}
    if audit is not None:
        sources += [s for s in audit["sources"] if s not in sources]
        sources += [s for s in best_attacks if s not in sources]
    rows = []
    for s in sources:
        row: dict = {"source": s}
        if summary is not None and (summary["source"] == s).any():
            r = summary[summary["source"] == s].iloc[0]
            for col in ("acc_mean", "acc_std", "auroc_mean", "auroc_std", "runs", "steps", "batch_size", "images_seen",
                        "distinct_images"):
                if col in r:
                    row[col] = float(r[col])
        if audit is not None:
            mia = audit.get("membership", {}).get(s, {})
            for col in ("threshold_balanced_accuracy_mean", "threshold_balanced_accuracy_std", "threshold_auc_mean",
                        "shadow_balanced_accuracy_mean", "shadow_balanced_accuracy_std", "shadow_auc_mean"):
                if col in mia:
                    row[col] = mia[col]
            src = audit["sources"].get(s)
            if src is not None:
                for col in ("fd", "kid_mean", "kid_std"):
                    row[col] = src.get(col)
                row["fd_n"] = src.get("n")
                row["reid_rate"] = src["reid"]["rate"]
                for kind, d in src["distances"].items():
                    row[f"{kind}_mean_min"] = d["mean_min"]
                    row[f"{kind}_near_duplicate_rate"] = d["near_duplicate_rate"]
            row.update(release_attack_columns(best_attacks.get(s)))
        if len(row) > 1:
            rows.append(row)
    return pd.DataFrame(rows)


def release_attack_columns(best: dict | None) -> dict:
    """The best release-level attack on a source (audit/attacks/): AUC with its interval and the TPR
    at the lowest FPR asked for (the FPR it was measured at beside it)."""
    if not best:
        return {}
    low_fpr = best["fpr_targets"][-1]
    tpr = best[f"tpr@{low_fpr['requested']:g}"]
    return {"attack_auc": best["auc"]["value"], "attack_auc_low": best["auc"]["low"],
            "attack_auc_high": best["auc"]["high"], "attack_tpr_low_fpr": tpr["value"],
            "attack_tpr_fpr": low_fpr["fpr"], "attack_distance": best["distance"]}


def _attack(row: pd.Series) -> str:
    if _missing(row.get("attack_auc")):
        return "—"
    return (f"{row['attack_auc']:.3f} [{row['attack_auc_low']:.3f}, {row['attack_auc_high']:.3f}] "
            f"({row['attack_distance']})")


def _attack_tpr(row: pd.Series) -> str:
    if _missing(row.get("attack_tpr_low_fpr")):
        return "—"
    return f"{row['attack_tpr_low_fpr']:.3f} @ {100 * row['attack_tpr_fpr']:.2g}%"


def _num(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.{digits}f}"


def _pm(row: pd.Series, base: str) -> str:
    mean, std = row.get(f"{base}_mean"), row.get(f"{base}_std")
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    return f"{mean:.3f} ± {std:.3f}" if std is not None and not math.isnan(std) else f"{mean:.3f}"


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _budget(row: pd.Series) -> str:
    """The run's training budget, e.g. '96 × 64 = 6144 (288 distinct)': equal for every source by construction."""
    steps, batch, distinct = row.get("steps"), row.get("batch_size"), row.get("distinct_images")
    if _missing(steps) or _missing(batch):
        return "—"
    text = f"{int(steps)} × {int(batch)} = {int(steps * batch)}"
    if not _missing(distinct) and distinct < steps * batch:  # a finite source, cycled
        text += f" ({int(distinct)} distinct)"
    return text


def _kid(row: pd.Series) -> str:
    """KID × 1000, mean ± std over subsets (KID values of a few 1e-3 are common)."""
    mean, std = row.get("kid_mean"), row.get("kid_std")
    if _missing(mean):
        return "—"
    return f"{1e3 * mean:.2f} ± {1e3 * std:.2f}" if not _missing(std) else f"{1e3 * mean:.2f}"


def source_label(source: str, anchor_method: str | None = None) -> str:
    """Row name; the anchor row says what the anchors really were when they were not k-same."""
    if source == "ksame" and anchor_method not in (None, "ksame"):
        return f"anchors ({anchor_method})"
    return SOURCE_LABELS.get(source, source)


def markdown_table(table: pd.DataFrame, anchor_method: str | None = None) -> str:
    """The table as Markdown: utility columns, then privacy columns."""
    kinds = [k for k in DISTANCE_LABELS if f"{k}_mean_min" in table.columns]
    header = ["Source", "Budget (steps × batch = images seen)", "Accuracy", "AUROC", "MIA acc (loss)", "MIA acc (shadow)",
              "Release MIA AUC [95% CI]", "Release MIA TPR @ FPR", "FD", "KID (×10³)"]
    header += [f"min dist {DISTANCE_LABELS[k]}" for k in kinds] + [f"near-dup {DISTANCE_LABELS[k]}" for k in kinds] + ["re-id rate"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in table.iterrows():
        cells = [source_label(row["source"], anchor_method), _budget(row), _pm(row, "acc"), _pm(row, "auroc"),
                 _pm(row, "threshold_balanced_accuracy"), _pm(row, "shadow_balanced_accuracy"), _attack(row),
                 _attack_tpr(row), _num(row.get("fd"), 2), _kid(row)]
        cells += [_num(row.get(f"{k}_mean_min")) for k in kinds]
        cells += [_num(row.get(f"{k}_near_duplicate_rate")) for k in kinds]
        cells.append(_num(row.get("reid_rate")))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
