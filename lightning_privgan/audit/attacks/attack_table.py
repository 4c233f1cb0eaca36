"""release_attacks.csv: one row per (source, attack, distance, control) of a release-attack result."""
from __future__ import annotations

import pandas as pd


def _row(source: str, attack: str, distance: str, control: str, f: dict) -> dict:
    row = {"source": source, "attack": attack, "distance": distance, "control": control}
    if "auc" in f:  # a ROC attack
        for name in ("auc", "balanced_accuracy", *[k for k in f if k.startswith("tpr@")]):
            row.update({name: f[name]["value"], f"{name}_low": f[name]["low"], f"{name}_high": f[name]["high"]})
        row.update({f"fpr_for_tpr@{t['requested']:g}": t["fpr"] for t in f["fpr_targets"]})
        row.update(members=f["members"], nonmembers=f["nonmembers"])
    else:  # the distance ratio: a share of synthetic images
        row.update(member_share=f["value"], member_share_low=f["low"], member_share_high=f["high"],
                   synthetic=f["synthetic"])
    return row


def attack_rows(image_sets: dict | None, generator: dict | None) -> pd.DataFrame:
    rows = []
    for source, attacks in (image_sets or {}).get("sources", {}).items():
        for attack in ("closest_record", "distance_ratio"):
            for kind, f in attacks[attack].items():
                rows += [_row(source, attack, kind, "attack", f), _row(source, attack, kind, "split_bias", f["split_bias"])]
    for kind, null in (image_sets or {}).get("null_controls", {}).items():
        for attack in ("closest_record", "distance_ratio"):
            if attack in null:
                rows.append(_row("outsiders", attack, kind, "null_control", null[attack]))
    for attack in ("reconstruction", "discriminator"):
        f = (generator or {}).get(attack)
        if f and "auc" in f:
            rows += [_row("generator", attack, "pixel mse" if attack == "reconstruction" else "logit", "attack", f),
                     _row("generator", attack, "", "split_bias", f["split_bias"])]
    return pd.DataFrame(rows)
