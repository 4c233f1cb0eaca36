"""The report's section on the release-level attacks, from release_attacks.json alone: per source
and distance the closest-record and distance-ratio figures, the controls beside them, the paired
PLAN − linear verdict, the attacks on the generator and links to the ROC figures."""
from __future__ import annotations


def _ci(f: dict, digits: int = 3) -> str:
    return f"{f['value']:.{digits}f} [{f['low']:.{digits}f}, {f['high']:.{digits}f}]"


def distinct_fpr_targets(targets: list[dict]) -> list[tuple[dict, list[float]]]:
    """The FPR targets that give different figures: (the first target at an FPR, every requested
    FPR that falls on it). With few non-members 1 % and 0.1 % both fall on the smallest FPR the
    non-members resolve, and one figure quoted twice reads as two measurements."""
    groups: dict[float, tuple[dict, list[float]]] = {}
    for t in targets:
        groups.setdefault(t["fpr"], (t, []))[1].append(t["requested"])
    return list(groups.values())


def _percent_list(values: list[float]) -> str:
    return " and ".join(f"{100 * v:g}%" for v in values)


def fpr_heading(target: dict, requested: list[float]) -> str:
    if target["resolved"]:
        return f"TPR @ {100 * target['requested']:g}% FPR"
    return f"TPR @ {100 * target['fpr']:.2g}% FPR ({_percent_list(requested)} unresolved)"


def _tprs(f: dict) -> list[str]:
    cells = []
    for t, requested in distinct_fpr_targets(f["fpr_targets"]):
        cell = _ci(f[f"tpr@{t['requested']:g}"])
        cells.append(cell if t["resolved"] else f"{cell} (at {100 * t['fpr']:.2g}%: {_percent_list(requested)} unresolved)")
    return cells


def _attack_table(sets: dict) -> list[str]:
    first = next(iter(sets["sources"].values()))["closest_record"]
    targets = next(iter(first.values()))["fpr_targets"] if first else []
    header = ["Source", "Distance", "AUC [95% CI]", "Balanced acc. (best threshold)",
              *[fpr_heading(t, requested) for t, requested in distinct_fpr_targets(targets)], "Split-bias AUC", "DCR member share",
              "DCR split-bias"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for source, v in sets["sources"].items():
        for kind, f in v["closest_record"].items():
            dcr = v["distance_ratio"][kind]
            lines.append("| " + " | ".join([source, kind, _ci(f["auc"]), _ci(f["balanced_accuracy"]), *_tprs(f),
                                            _ci(f["split_bias"]["auc"]), _ci(dcr), _ci(dcr["split_bias"])]) + " |")
    return lines


def _null_table(sets: dict) -> list[str]:
    lines = ["| Distance | Null-control AUC [95% CI] | Null-control DCR share | Used for the verdict |", "|---|---|---|---|"]
    for kind, null in sets["null_controls"].items():
        if null["usable"] is None:
            lines.append(f"| {kind} | — | — | unverified: {null['reason']} |")
            continue
        verdict = "yes" if null["usable"] else "**no: flagged, the features separate members with no release**"
        lines.append(f"| {kind} | {_ci(null['closest_record']['auc'])} | {_ci(null['distance_ratio'])} | {verdict} |")
    return lines


def _generator_lines(gen: dict) -> list[str]:
    lines = [f"Attacks on the generator, {gen['setup']['members']} members and {gen['setup']['nonmembers']} "
             f"non-members ({gen['setup']['member_patients']} and {gen['setup']['nonmember_patients']} patients):", ""]
    for attack, label in (("reconstruction", "reconstruction through G (GAN-Leaks PBB/WB)"),
                          ("discriminator", "discriminator score (LOGAN)")):
        f = gen[attack]
        if "skipped" in f:
            lines.append(f"- {label}: not run ({f['skipped']}).")
            continue
        lines.append(f"- {label}: AUC {_ci(f['auc'])}, TPR @ low FPR " + "; ".join(_tprs(f)) +
                     f"; split-bias control AUC {_ci(f['split_bias']['auc'])}" +
                     (f" ({f['note']})" if f.get("note") else "") + ".")
    return lines


def release_attack_lines(result: dict | None, figure_folder: str) -> list[str]:
    """Markdown lines; `figure_folder` is where the ROC PNGs lie relative to report.md."""
    if result is None:
        return []
    lines = ["## Membership attacks on what is released", ""]
    if "skipped" in result:
        return lines + [f"Not run: {result['skipped']}.", ""]
    sets, setup = result["image_sets"], result["image_sets"]["setup"]
    lines += [f"Can someone holding the images tell who was in the training set? {setup['members']} members (train) "
              f"against {setup['nonmembers']} non-members (holdout), {setup['member_patients']} and "
              f"{setup['nonmember_patients']} patients, balanced by patient; intervals: percentile bootstrap over "
              f"patients ({setup['resamples']} resamples). Closest record: FBB (GAN-Leaks); DCR: the share of "
              "synthetic images whose nearest real image is a member (0.5 = no leak).", ""]
    lines += _attack_table(sets) + ["", "Null control (the release replaced by val/test patients' images) per distance:",
                                    ""] + _null_table(sets) + [""]
    for kind, p in sets["paired"].items():
        note = "" if p["null_control_usable"] is not False else " (this distance failed its null control: not a verdict)"
        lines.append(f"- {kind}: {p['verdict']}{note}.")
    lines += [""] + _generator_lines(result["generator"]) + [""]
    lines += [f"![{name}]({figure_folder}/{name})" for name in result.get("figures", [])]
    lines += ["", f"Stage time of the attacks: {result['seconds']:.1f} s.", ""]
    return lines
