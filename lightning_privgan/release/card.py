"""RELEASE.md, the data card, rendered from release.json: every figure on the card is in the JSON."""
from __future__ import annotations

from pathlib import Path

DISTANCE_NAMES = {"auditor": "auditor embedding (1 − cosine)", "ssim": "1 − SSIM", "l2": "RMS pixel difference",
                  "lpips": "LPIPS"}


def _f(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _distance_table(audit: dict, candidates: dict) -> list[str]:
    rows = ["| distance | near-duplicate threshold | mean nearest-real | median | closest | near-duplicates (released) "
            "| near-duplicates (all candidates) |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for kind, d in audit["distances"].items():
        c = candidates["distances"][kind]
        rows.append(f"| {DISTANCE_NAMES.get(kind, kind)} | {_f(d['threshold'], 4)} | {_f(d['mean_min'])} "
                    f"| {_f(d['median_min'])} | {_f(d['min'])} | {d['near_duplicate_count']} ({_pct(d['near_duplicate_rate'])}) "
                    f"| {c['near_duplicate_count']} of {candidates['count']} ({_pct(c['near_duplicate_rate'])}) |")
    return rows


def _membership_rows(run: dict) -> list[str]:
    membership, source = run.get("membership") or {}, run["source"]
    rows = ["| downstream classifier trained on | seeds | loss attack: balanced acc. | AUC | shadow attack: balanced acc. | AUC |",
            "| --- | --- | --- | --- | --- | --- |"]
    for name in [s for s in (source, "real") if s in membership]:
        m = membership[name]
        label = "real images (reference)" if name == "real" else f"{name} images"
        rows.append(f"| {label} | {m.get('runs', '–')} | {_f(m.get('threshold_balanced_accuracy_mean'))} "
                    f"± {_f(m.get('threshold_balanced_accuracy_std'))} | {_f(m.get('threshold_auc_mean'))} "
                    f"| {_f(m.get('shadow_balanced_accuracy_mean'))} | {_f(m.get('shadow_auc_mean'))} |")
    return rows if len(rows) > 2 else ["The run's audit holds no membership-inference figures for this source."]


def _ci(f: dict) -> str:
    return f"{f['value']:.3f} [{f['low']:.3f}, {f['high']:.3f}]"


def _tpr_at_low_fpr(f: dict) -> str:
    """The TPR at the first FPR asked for, with the FPR it was measured at (the smallest resolved)."""
    t = f["fpr_targets"][0]
    return f"{_ci(f['tpr@{:g}'.format(t['requested'])])} at {100 * t['fpr']:.2g} % FPR"


def _attack_rows(attacks: dict | None) -> list[str]:
    """The release-level attacks on these images (release/membership_attacks.py), with their controls."""
    if not attacks:
        return ["No membership attack was run on these images (a release made before they existed)."]
    if "skipped" in attacks:
        return [f"Not run: {attacks['skipped']}."]
    setup, nulls = attacks["setup"], attacks["null_controls"]
    release = attacks["sources"]["release"]
    rows = [f"Can someone holding these images tell who was in the training set? Each of {setup['members']} training "
            f"images (members, {setup['member_patients']} patients) and {setup['nonmembers']} images of patients no "
            f"model saw (non-members, {setup['nonmember_patients']} patients) is scored by its distance to the closest "
            "released image (closest-record attack, GAN-Leaks FBB); the distance ratio counts the released images "
            "whose nearest real image is a member. AUC 0.5 and a share of 0.5 mean no leak; intervals are 95 % "
            f"percentile bootstraps over patients ({setup['resamples']} resamples).", "",
            "| distance | AUC | TPR at low FPR | split-bias control AUC | null control AUC | distance-ratio member share "
            "| used for the verdict |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for kind, f in release["closest_record"].items():
        tpr = _tpr_at_low_fpr(f)
        null = nulls[kind]
        null_auc = "–" if null["usable"] is None else _ci(null["closest_record"]["auc"])
        used = {True: "yes", False: "no: its null control is not at 0.5", None: "unverified (no val/test images)"}
        rows.append(f"| {DISTANCE_NAMES.get(kind, kind)} | {_ci(f['auc'])} | {tpr} | {_ci(f['split_bias']['auc'])} "
                    f"| {null_auc} | {_ci(release['distance_ratio'][kind])} | {used[null['usable']]} |")
    best = release["best"]
    if best is not None:
        rows += ["", f"Strongest attack: closest record under {DISTANCE_NAMES.get(best['distance'], best['distance'])}, "
                 f"AUC {_ci(best['auc'])}."]
    return rows


def _generator_rows(generator: dict | None) -> list[str]:
    """The run's attacks on its generator (audit/attacks/generator_attacks.py): what releasing G, or
    the checkpoint with D, would add to this image set's exposure."""
    if not generator:
        return ["The run's audit holds no attack on its generator (a run audited before they existed, or without "
                "a holdout split)."]
    setup = generator["setup"]
    rows = [f"Not part of this release: the run's own audit attacked its generator with {setup['members']} training "
            f"images (members, {setup['member_patients']} patients) and {setup['nonmembers']} holdout images "
            f"(non-members, {setup['nonmember_patients']} patients). Quote these before releasing G or its checkpoint: "
            "an AUC above 0.5 with its interval means the model itself tells members apart. `privgan verify` does "
            "not re-measure them (they need the run, not the images).", "",
            "| attack | AUC | TPR at low FPR | split-bias control AUC |", "| --- | --- | --- | --- |"]
    for attack, label in (("reconstruction", "reconstruction through G (GAN-Leaks PBB/WB)"),
                          ("discriminator", "discriminator score of D (LOGAN)")):
        f = generator.get(attack) or {"skipped": "not in the audit"}
        if "skipped" in f:
            rows.append(f"| {label} | not run: {f['skipped']} | | |")
            continue
        rows.append(f"| {label} | {_ci(f['auc'])} | {_tpr_at_low_fpr(f)} | {_ci(f['split_bias']['auc'])} |")
    return rows


def _run_comparison(run: dict) -> list[str]:
    """The run's own audit of other samples of the same source, for scale."""
    if not run.get("distances"):
        return []
    parts = ", ".join(f"{kind} mean {_f(d.get('mean_min'))}, near-duplicates {_pct(d.get('near_duplicate_rate'))}"
                      for kind, d in run["distances"].items())
    return [f"- For comparison, the run's audit of {run['samples']} other {run['source']} samples: {parts}; "
            f"re-identified {_pct(run.get('reid_rate'))}."]


def render_card(release: dict) -> str:
    what, method, prov, gate = release["what"], release["method"], release["provenance"], release["gate"]
    audit, cand, run, quality = release["audit"], release["candidates_audit"], release["run_audit"], release["audit"]["quality"]
    walk, anchors = method["walk"], method["anchors"]
    counts = ", ".join(f"{name} {n}" for name, n in what["class_counts"].items())
    lines = [
        f"# Synthetic data set: {what['images']} {what['data_source']} images ({method['source']} paths)",
        "",
        "## What it is",
        "",
        f"{what['images']} synthetic {what['resolution']}×{what['resolution']} {what['color']} PNG images "
        f"(8 bit) with a diagnostic label each: {counts}. Every image was generated; none is a real scan. "
        "The set holds no real image, no latent of a real image and no identity network.",
        "",
        "Files: `images/` (the PNGs), `manifest.csv` (one row per image: path, label, class name, the path and "
        "step it was sampled at, its nearest-real distances, its gate verdict), `release.json` (every figure of "
        "this card), `checksums.sha256` (`sha256sum -c checksums.sha256`, or `privgan verify`).",
        "",
        "## How it was made",
        "",
        gan_line(method, what["data_source"]),
        f"- Anchors: {anchors['method']}" + (f" with k = {anchors['k']} (each anchor the average latent of at least "
                                             f"{anchors['k']} training images of one class)" if anchors['method'] == 'ksame' else "")
        + f"; {anchors['num_pairs']} same-class anchor pairs.",
        (f"- Paths: PLAN, {walk['n_steps']} points per path, {walk['optim_steps']} Adam steps (lr {walk['lr']:g}), "
         f"λ_priv = {walk['lambda_priv']:g}, λ_eq = {walk['lambda_eq']:g}, λ_cls = {walk['lambda_cls']:g}, {walk['space'].upper()} space."
         if method["source"] == "plan" else
         f"- Paths: straight lines between the anchors ({walk['n_steps']} points), no privacy optimisation."),
        f"- Images drawn at random positions strictly between the anchors ({'interpolated' if method['sampling']['interpolate'] else 'optimised points only'}, "
        f"noise mode {method['sampling']['noise_mode']}), sample seed {prov['sample_seed']}.",
        f"- Run `{prov['run_name']}`, config SHA-256 `{prov['config_sha256'][:16]}…`, code {prov['code_version']}; "
        f"created {release['created_utc']}.",
        "",
        "## Privacy gate",
        "",
        f"An image is left out when it is a near-duplicate of a real training image under any distance below, or "
        f"when the independent auditor network names one training patient with confidence ≥ {_f(audit['reid']['confidence'], 2)}. "
        f"Of {gate['candidates']} images drawn, {gate['passed']} passed and {gate['failed']} failed "
        f"({', '.join(f'{n} near-duplicate ({k})' for k, n in gate['failed_near_duplicate'].items())}, "
        f"{gate['failed_reidentified']} re-identified; one image may fail several ways).",
        ("The failing images are **included** (`--allow-failing`) and marked `fail` in `manifest.csv`."
         if gate["allow_failing"] else "The failing images are not in this set."),
        "",
        f"## Audit of exactly these {audit['count']} images",
        "",
        "Nearest-real distance: from each released image to the closest image of the real training split (0 = a copy). "
        f"A near-duplicate is closer than the {_f(run['near_duplicate_quantile'], 2)} quantile of the distances "
        "between images of two different real patients.",
        "",
        *_distance_table(audit, cand),
        "",
        f"- Re-identification by the independent auditor (confidence ≥ {_f(audit['reid']['confidence'], 2)}): "
        f"{audit['reid']['count']} of {audit['count']} ({_pct(audit['reid']['rate'])}); the same auditor "
        f"\"re-identifies\" {_pct(run.get('reid_holdout_false_alarm_rate'))} of real patients it never saw (false alarms), "
        f"chance of naming a given patient {_pct(run.get('reid_chance'))}.",
        *_run_comparison(run),
        f"- Fidelity against the {quality['real_images']} real training images: FD {_f(quality['fd'])}, "
        f"KID {_f(quality['kid'], 4)} ({quality['features']}).",
        "",
        f"## Membership attacks on exactly these {audit['count']} images",
        "",
        *_attack_rows(release.get("membership_attacks")),
        "",
        "## If the generator is released too",
        "",
        *_generator_rows(run.get("generator_attacks")),
        "",
        "## Membership inference against the run's classifiers",
        "",
        "Attacks on the run's downstream classifiers: can they tell a training patient from a new one? "
        "0.5 means no leak. These figures describe the run's classifiers, not this image set.",
        "",
        *_membership_rows(run),
        "",
        "## Known limits",
        "",
        *[f"- {limit}" for limit in release["limits"]],
        "",
    ]
    return "\n".join(lines)


def gan_line(method: dict, data_source: str) -> str:
    """How the generator came about: trained here (its budget), or imported (its file and digest)."""
    gan = method["gan"]
    if "pretrained" in gan:
        return (f"- A pretrained StyleGAN2-ADA/StyleGAN3 generator imported from `{Path(gan['pretrained']).name}` "
                f"(SHA-256 {gan['pretrained_sha256']}), not trained by this run; at {method['data']['resolution']} px.")
    return (f"- A StyleGAN2-style generator trained on the {data_source} training split "
            f"({gan['kimg']:g} kimg) at {method['data']['resolution']} px.")
