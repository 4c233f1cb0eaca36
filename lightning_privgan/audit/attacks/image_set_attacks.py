"""Every image-set attack on every synthetic source, under every distance kind, with its controls.

Per distance kind the candidates (members, non-members) are featurised once. Then:
  null control   the release replaced by outsiders (val/test): closest record and distance
                 ratio; a kind whose closest-record null AUC interval misses 0.5 is not usable
  per source     closest record (FBB) with its split-bias control, and the distance ratio (DCR)
                 with its own (the holdout halves as the two real sets)
  paired         PLAN − linear closest-record AUC on the same candidates, resampled together
The verdict per source is its best closest-record AUC over the usable kinds.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ...core.seeds import derive_seed
from ...metrics.distances import DistanceKind
from .candidates import AttackCandidates
from .closest_record import closest_record_scores
from .controls import null_control_set, null_verdict, split_bias_figures, split_bias_indices
from .distance_ratio import member_share, nearest_is_member
from .patient_bootstrap import bootstrap_figures, paired_auc_difference

PAIRED = ("linear", "plan")


def _without_curve(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k != "roc"}


def _null_control(kind: DistanceKind, cand: AttackCandidates, feats, size: int, resamples: int, seed: int) -> dict:
    if cand.outsiders is None:
        return {"usable": None, "reason": "no val/test images: the null control cannot run"}
    stand_in = kind.features(null_control_set(cand.outsiders, size, seed))
    scores = closest_record_scores(feats["all"], stand_in, kind.pairwise, feats["device"])
    fbb = bootstrap_figures(scores, cand.is_member, cand.patients, resamples, seed)
    hits = nearest_is_member(stand_in, feats["members"], feats["nonmembers"], kind.pairwise, feats["device"])
    return {**null_verdict(fbb), "closest_record": fbb, "distance_ratio": member_share(hits, resamples, seed),
            "stand_in_images": int(len(stand_in))}


def _source_attacks(kind: DistanceKind, images: torch.Tensor, cand: AttackCandidates, feats, resamples: int,
                    seed: int) -> tuple[dict, dict, np.ndarray]:
    """(closest-record figures with split-bias control, distance-ratio share with its control, the scores)."""
    synthetic = kind.features(images)
    scores = closest_record_scores(feats["all"], synthetic, kind.pairwise, feats["device"])
    fbb = bootstrap_figures(scores, cand.is_member, cand.patients, resamples, seed)
    held = ~cand.is_member
    fbb["split_bias"] = _without_curve(split_bias_figures(scores[held], cand.nonmember_patients, resamples, seed))
    hits = nearest_is_member(synthetic, feats["members"], feats["nonmembers"], kind.pairwise, feats["device"])
    dcr = member_share(hits, resamples, seed)
    a, b = split_bias_indices(cand.nonmember_patients, seed)
    count = min(len(a), len(b))
    halves = nearest_is_member(synthetic, feats["nonmembers"][a[:count]], feats["nonmembers"][b[:count]],
                               kind.pairwise, feats["device"])
    dcr["split_bias"] = member_share(halves, resamples, seed)
    return fbb, dcr, scores


def paired_verdict(diff: dict) -> str:
    """PLAN − linear closest-record AUC in words: a lower AUC is the more private release."""
    if diff["low"] <= 0 <= diff["high"]:
        words = "no significant difference"
    else:
        words = "PLAN is better (its images leak less membership)" if diff["difference"] < 0 else \
            "PLAN is worse (its images leak more membership)"
    return (f"PLAN − linear closest-record AUC {diff['difference']:+.3f} "
            f"(95% CI {diff['low']:+.3f} to {diff['high']:+.3f}): {words}")


def best_attack(attacks: dict, usable: dict[str, Optional[bool]]) -> Optional[dict]:
    """The closest-record result with the highest AUC among kinds whose null control allows it
    (a kind without a null control counts, marked unverified)."""
    allowed = {k: f for k, f in attacks.items() if usable.get(k) is not False}
    if not allowed:
        return None
    kind = max(allowed, key=lambda k: allowed[k]["auc"]["value"])
    f = allowed[kind]
    return {"attack": "closest_record", "distance": kind, "auc": f["auc"], "balanced_accuracy": f["balanced_accuracy"],
            **{k: f[k] for k in f if k.startswith("tpr@")}, "fpr_targets": f["fpr_targets"],
            "null_control_verified": usable.get(kind) is True}


def image_set_attacks(sources: dict[str, torch.Tensor], cand: AttackCandidates, kinds: dict[str, DistanceKind],
                      resamples: int, seed: int, device: torch.device | str | None = None) -> dict:
    """{'setup', 'null_controls': {kind}, 'sources': {source: {closest_record, distance_ratio, best}},
    'paired': {kind: PLAN − linear}} for the synthetic image sets `sources`."""
    if not sources:
        raise ValueError("no synthetic image set to attack")
    size = max(len(v) for v in sources.values())
    out: dict = {"setup": {**cand.setup(), "resamples": int(resamples)}, "null_controls": {},
                 "sources": {s: {"closest_record": {}, "distance_ratio": {}, "num_images": int(len(v))}
                             for s, v in sources.items()}, "paired": {}}
    for name, kind in kinds.items():
        members, nonmembers = kind.features(cand.members), kind.features(cand.nonmembers)
        feats = {"members": members, "nonmembers": nonmembers, "all": torch.cat([members, nonmembers]),
                 "device": device}
        out["null_controls"][name] = _null_control(kind, cand, feats, size, resamples, derive_seed(seed, "null", name))
        scores = {}
        for source, images in sources.items():
            fbb, dcr, scores[source] = _source_attacks(kind, images, cand, feats, resamples,
                                                       derive_seed(seed, source, name))
            out["sources"][source]["closest_record"][name] = fbb
            out["sources"][source]["distance_ratio"][name] = dcr
        if all(s in scores for s in PAIRED):
            diff = paired_auc_difference(scores["linear"], scores["plan"], cand.is_member, cand.patients, resamples,
                                         derive_seed(seed, "paired", name))
            out["paired"][name] = {**diff, "verdict": paired_verdict(diff),
                                   "null_control_usable": out["null_controls"][name]["usable"]}
    usable = {k: v["usable"] for k, v in out["null_controls"].items()}
    for source in out["sources"].values():
        source["best"] = best_attack(source["closest_record"], usable)
    return out
