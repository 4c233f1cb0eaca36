"""The known limits a data card states, from the run's settings and the figures measured."""
from __future__ import annotations


def _class_shift(drawn: dict, released: dict) -> float:
    """Largest change of a class's share between the drawn and the released images."""
    n_drawn, n_released = sum(drawn.values()), sum(released.values())
    return max(abs(released.get(c, 0) / max(n_released, 1) - drawn[c] / max(n_drawn, 1)) for c in drawn)


def known_limits(method: dict, gate: dict, audit: dict, run: dict, class_counts: dict) -> list[str]:
    limits = [
        "No formal privacy guarantee (such as differential privacy): the figures above are measurements against "
        "the real training images and one auditor network; a stronger or better-informed attacker may do better.",
        "Nearest-real distances compare with the training split only, image by image; an image above every "
        "threshold can still share rare features with one patient.",
    ]
    anchors = method["anchors"]
    if anchors["method"] == "ksame":
        limits.append(f"k-same anchors are k-anonymous in latent space (k = {anchors['k']}); the images drawn between "
                      "them carry no such guarantee, which is why each image is audited.")
    else:
        limits.append(f"Anchors are '{anchors['method']}', not k-same: they are not k-anonymous.")
    if method["source"] == "linear":
        limits.append("Linear paths were not optimised for privacy (no PLAN walk).")
    quality = audit["quality"]
    if quality["fd"] is not None:
        limits.append(f"FD and KID use {quality['features']}; they compare only with figures on the same features. "
                      f"FD is biased upward for small sets ({audit['count']} images here); KID is not.")
    false_alarm = run.get("reid_holdout_false_alarm_rate")
    if false_alarm:
        limits.append(f"The auditor is confident on {100 * false_alarm:.1f} % of real patients it never saw, so part "
                      "of the re-identification rate is false alarms.")
    if run.get("skipped"):
        limits.extend(f"The run's audit skipped: {why}" for why in run["skipped"])
    if _class_shift(gate["drawn_class_counts"], class_counts) > 0.1:
        fmt = lambda counts: ", ".join(f"{c} {n}" for c, n in counts.items())  # noqa: E731
        limits.append(f"The gate changed the class balance (drawn: {fmt(gate['drawn_class_counts'])}; released: "
                      f"{fmt(class_counts)}): weigh or resample the classes before training on the set.")
    if gate["allow_failing"] and gate["failed"]:
        limits.append(f"{gate['failed']} images that failed the privacy gate are included (marked `fail`).")
    limits.append(f"Generated from a GAN trained for {method['gan']['kimg']:g} kimg: fidelity and diversity are "
                  "bounded by that budget; check the FD/KID before using the set for anything but method development.")
    return limits
