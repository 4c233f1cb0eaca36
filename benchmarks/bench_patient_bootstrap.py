"""The release attacks' patient bootstrap: all resamples at once against one resample at a time.

    python benchmarks/bench_patient_bootstrap.py [--images 400] [--resamples 1000] [--repeats 5]

`bootstrap_figures` computes every resample's AUC, best balanced accuracy and TPRs at low FPR
from image multiplicities (audit/attacks/weighted_roc.py). The reference is the definition: each
resample built out (every image repeated as often as its patient was drawn) and scored with
`roc.point_figures`. Both run on the same scores here, with quantised ties as distances have them;
the script checks that their figures are equal and prints the best of --repeats for each, per
interval (the demo's audit computes 31 of them at 1000 resamples on about 400 candidates).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from lightning_privgan.audit.attacks.patient_bootstrap import patient_weights
from lightning_privgan.audit.attacks.roc import FPR_TARGETS, fpr_target, point_figures
from lightning_privgan.audit.attacks.weighted_roc import resampled_point_figures


def scored_candidates(images: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    patients = np.repeat(np.arange(images), rng.integers(1, 5, images))[:images].astype(str)
    is_member = np.isin(patients, np.unique(patients)[::2])
    scores = np.round(rng.normal(size=images) + 0.3 * is_member, 2)
    return scores, is_member, patients


def one_at_a_time(scores, is_member, weights, targets) -> dict[str, np.ndarray]:
    rows = [point_figures(np.repeat(scores, w), np.repeat(is_member, w), targets) for w in weights]
    return {name: np.array([r[name] for r in rows]) for name in rows[0]}


def best_of(repeats: int, fn) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    scores, is_member, patients = scored_candidates(args.images)
    targets = tuple(fpr_target(t, int((~is_member).sum())) for t in FPR_TARGETS)
    draw_s, weights = best_of(args.repeats, lambda: patient_weights(patients, is_member, args.resamples, 0))
    all_s, together = best_of(args.repeats, lambda: resampled_point_figures(scores, is_member, weights, targets))
    one_s, separately = best_of(max(1, args.repeats // 2), lambda: one_at_a_time(scores, is_member, weights, targets))
    same = all(np.array_equal(together[k], separately[k]) for k in separately)
    print(f"{args.images} candidates, {args.resamples} resamples, best of {args.repeats}; figures equal: {same}")
    print("| step | ms per interval |\n| --- | --- |")
    print(f"| drawing the patients (multiplicities) | {1e3 * draw_s:.1f} |")
    print(f"| all resamples at once | {1e3 * all_s:.1f} |")
    print(f"| one resample at a time (point_figures on each built-out resample) | {1e3 * one_s:.1f} |")
    print(f"one at a time / at once (draws included): {one_s / (draw_s + all_s):.1f}x")
    if not same:
        raise SystemExit("the vectorised figures differ from the per-resample ones")


if __name__ == "__main__":
    main()
