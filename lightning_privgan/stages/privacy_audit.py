"""Stage `privacy_audit`: the privacy half of the paper's table, plus the distance-along-path curve.

Per source (the downstream sources; 'real' is measured on holdout images, i.e. new
patients, as the reference for what a non-copy looks like): nearest-real distances of
every enabled kind, near-duplicate rate, re-identification rate; FD and KID at one n for
every source (metrics/fd_kid.py). With the stream's gate on, linear/PLAN are audited as the
gate releases them (what the downstream classifiers trained on).
Then membership inference against every downstream model, and the release-level attacks on
the audited images and the generator (stages/release_attacks.py). Outputs: audit.json,
privacy.csv, nearest_<source>.csv, mia_runs.csv, path_curve.{json,png},
path_distances.csv, grid_<source>.pt (uint8 samples the report draws), release_attacks.{json,csv},
roc_*.png.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import torch
from rich.progress import Progress

from ..audit.auditor_readings import AuditorReadings
from ..audit.membership import attack_downstream_models, fit_shadow_attack, split_holdout_patients, summarize_membership
from ..audit.path_comparison import compare_path_curves
from ..audit.path_curve import plot_path_curves
from ..audit.real_image_guard import may_publish
from ..audit.reid import confident_share, reidentification_of
from ..audit.source_audit import audit_distances, build_reference
from ..core.atomic import atomic_path, torch_save_atomic, write_json_atomic
from ..core.device_settings import use_channels_last
from ..data.real_store import to_uint8
from ..metrics.fd_features import choose_fd_features
from ..metrics.fd_kid import MIN_SAMPLES, DistributionMetrics, equal_sample_size, feature_net
from ..metrics.lpips import load_lpips
from ..pipeline.stage import Stage, StageContext
from ..walk.gate import build_gate
from ..walk.synthetic_sources import gated_synthetic_source, synthetic_source
from .outputs import AuditOutputs, load_walk_artifacts
from .release_attacks import attack_summary, run_release_attacks
from .shadow_models import shadow_trainer


def _write_csv(df: pd.DataFrame, path) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def run(ctx: StageContext) -> None:
    cfg, acfg = ctx.cfg, ctx.cfg.audit
    device = ctx.device
    data = ctx.input("data").real()
    # The audit compares every synthetic image with every real one (nearest-real distances,
    # FD, shadow pools): it reads these three splits whole, as float tensors.
    train, holdout, val = (data.split(name).read_all() for name in ("train", "holdout", "val"))
    auditor_outputs = ctx.input("auditor")
    auditor, identities = auditor_outputs.model(device), auditor_outputs.identities()
    skipped, names = [], list(acfg.distances)
    lpips = _lpips_if_asked(ctx, names, skipped)
    ref = build_reference(train.images, train.patient_ids, names, acfg.near_duplicate_quantile, auditor, lpips,
                          batch_size=acfg.batch_size, device=device)
    # One trunk pass per image set gives both its embeddings and its re-identification.
    readings = AuditorReadings(auditor, acfg.batch_size)
    if "auditor" in ref.kinds:
        ref.kinds["auditor"] = replace(ref.kinds["auditor"], features=readings.embeddings)
    art = load_walk_artifacts(ctx.input("gan"), ctx.input("anchors"), ctx.input("walk"), device,
                              channels_last=use_channels_last(cfg.trainer))
    fd_extractor, fd_features = choose_fd_features(cfg.gan.fd_features, acfg.inception_weights,
                                                   ctx.input("gan").fd_encoder(), auditor)

    # Confident "re-identifications" of patients the auditor never saw are false alarms by construction.
    false_alarm = confident_share(readings.probabilities(holdout.images), acfg.reid_confidence) if len(holdout) else None
    # The stream's gate, built as the downstream stage built it: with it on, linear/PLAN are audited
    # as released, i.e. the gated samples the downstream classifiers trained on.
    gate = build_gate(cfg, auditor, train.images, train.patient_ids, device) if cfg.stream.gate else None
    sources, csvs, grids, source_images = _audit_sources(ctx, holdout, art, ref, readings, identities, gate, len(names))
    fd_n, metrics = _distribution_metrics(ctx, sources, source_images, train, fd_extractor, skipped)

    if "ksame" not in sources:  # the report shows the k-same anchors even when they are not a compared source
        anchors, _, _ = synthetic_source("ksame", art, 0, 0, interpolate=cfg.stream.interpolate,
                                         noise_mode=cfg.walk.noise_mode)
        grids["grid_ksame.pt"] = {"images": to_uint8(anchors[: acfg.grid_samples]), "origin": "synthetic"}
    curves, csvs["path_distances.csv"], paired = compare_path_curves(
        art, ref, acfg.path_distance, acfg.path_pairs, cfg.walk.noise_mode, acfg.batch_size, ctx.seed("paired"))
    path_curve = {"distance": acfg.path_distance, "curves": {m: c.to_dict() for m, c in curves.items()}, "paired": paired}

    mia_runs, nonmembers, shadow_acc = _membership(ctx, data, train, holdout, val, skipped)
    csvs["mia_runs.csv"] = mia_runs
    csvs["privacy.csv"] = _privacy_table(sources)
    if not ctx.is_global_zero:  # every rank computed (the shadows train with DDP); one writes
        return
    outsiders = torch.cat([val.images, data.split("test").read_all().images])  # patients in neither set
    attacks = run_release_attacks(ctx, train, holdout, outsiders, source_images, ref.kinds, art.G)
    for name, df in csvs.items():
        _write_csv(df, ctx.out / name)
    for name, blob in grids.items():
        torch_save_atomic(blob, ctx.out / name)
    if curves:
        plot_path_curves(curves, ctx.out / "path_curve.png", acfg.path_distance)
    write_json_atomic(ctx.out / "path_curve.json", path_curve)
    write_json_atomic(ctx.out / "audit.json", {
        "sources": sources,
        "thresholds": ref.thresholds,
        "near_duplicate_quantile": acfg.near_duplicate_quantile,
        "fd_features": fd_features,
        "fd_samples": fd_n,
        "kid_subset_size": metrics.kid_subset_size if metrics else None,
        "kid_subsets": int(acfg.kid_subsets),
        "gate": None if gate is None else {"threshold": gate.threshold, "threshold_source": gate.setting.source,
                                           "audit_threshold": ref.thresholds.get("auditor")},
        "skipped": skipped,
        "path_curve": path_curve,
        "membership": summarize_membership(mia_runs),
        "release_attacks": attack_summary(attacks),
        "membership_setup": {"members": int(len(train)), "nonmembers": nonmembers,
                             "shadow_models": int(acfg.shadow_models), "shadow_train_balanced_accuracy": shadow_acc,
                             "shadow_split": "by patient"},
        "reid_confidence": acfg.reid_confidence,
        "reid_holdout_false_alarm_rate": false_alarm,
        "reid_chance": 1.0 / len(identities),
        # The 'ksame' source is the anchors themselves: k-anonymous only when anchors.method is ksame.
        "anchor_method": art.anchors.get("method", cfg.anchors.method),
    })


def _lpips_if_asked(ctx: StageContext, names: list[str], skipped: list[str]):
    """The LPIPS network on the device when audit.distances names it and its weights load; otherwise
    None, and 'lpips' leaves `names` with the reason in `skipped`."""
    acfg = ctx.cfg.audit
    lpips = None
    if "lpips" in names:
        lpips, why = load_lpips(acfg.lpips_weights, acfg.lpips_backbone_weights)
        if lpips is None:
            ctx.console.print(f"[yellow]{why}")
            skipped.append(why)
            names.remove("lpips")
        else:
            lpips = lpips.to(ctx.device)
    if acfg.path_distance not in names:
        raise ValueError(f"audit.path_distance={acfg.path_distance!r} is not among the distances computed {names}"
                         + (f" ({skipped[-1]})" if skipped else ""))
    return lpips


def _audit_sources(ctx: StageContext, holdout, art, ref, readings: AuditorReadings, identities, gate,
                   num_distances: int):
    """Per downstream source: nearest-real distances, re-identification and a sample grid.
    (sources, csvs, grids, the images audited per source)."""
    cfg, acfg = ctx.cfg, ctx.cfg.audit
    sources, csvs, grids, source_images = {}, {}, {}, {}
    progress = Progress(*Progress.get_default_columns(), console=ctx.console, transient=True,
                        disable=not cfg.trainer.progress_bar)
    task = progress.add_task("audit", total=len(cfg.downstream.sources) * num_distances)
    with progress:  # stopped (and the terminal restored) even when a source fails
        for source in cfg.downstream.sources:
            progress.update(task, description=f"audit {source}")
            gate_record = None
            if source == "real":
                images, origin = holdout.images, "real"
            else:
                images, _, _, gate_record = gated_synthetic_source(
                    source, art, acfg.samples_per_source, ctx.seed("samples", source), gate,
                    interpolate=cfg.stream.interpolate, noise_mode=cfg.walk.noise_mode)
                origin = "synthetic"
            if len(images) == 0:
                raise ValueError(f"audit: source {source!r} has no images to audit")
            summary, per_sample = audit_distances(images, ref, on_kind_done=lambda _: progress.advance(task))
            csvs[f"nearest_{source}.csv"] = per_sample
            reid = reidentification_of(readings.probabilities(images), acfg.reid_confidence, identities)
            source_images[source] = images
            sources[source] = {"origin": origin, "num_samples": int(len(images)), "distances": summary, "reid": reid,
                               "gate": gate_record}
            if may_publish(origin, cfg.logging.allow_real_images):
                grids[f"grid_{source}.pt"] = {"images": to_uint8(images[: acfg.grid_samples]), "origin": origin}
            ctx.console.print(f"[bold]audit[/] {source}: " + ", ".join(
                f"{k} min {v['mean_min']:.3f} dup {v['near_duplicate_rate']:.3f}" for k, v in summary.items())
                + f", re-id {reid['rate']:.3f}" + ("" if gate_record is None else
                f", gated: {gate_record['rejected']} of {gate_record['candidates']} candidates rejected"))
    return sources, csvs, grids, source_images


def _distribution_metrics(ctx: StageContext, sources: dict, source_images: dict, train, fd_extractor,
                          skipped: list[str]):
    """FD and KID at one n for every source (metrics/fd_kid.py), against the whole train split, into
    `sources`; (that n, the DistributionMetrics or None when the smallest source is too small)."""
    acfg = ctx.cfg.audit
    fd_n = equal_sample_size({s: len(v) for s, v in source_images.items()}, acfg.fd_samples)
    metrics = None
    if fd_n < MIN_SAMPLES:
        why = f"FD/KID skipped: the smallest source has {fd_n} images (at least {MIN_SAMPLES} needed)"
        ctx.console.print(f"[yellow]{why}")
        skipped.append(why)
    else:
        metrics = DistributionMetrics(feature_net(fd_extractor, train.images, ctx.device, acfg.batch_size),
                                      train.images, fd_n, acfg.kid_subsets, ctx.seed("kid"))
    for source, images in source_images.items():
        sources[source].update(metrics.measure(images, ctx.seed("fd", source)) if metrics else
                               {"fd": None, "kid_mean": None, "kid_std": None, "n": fd_n})
        if metrics:
            ctx.console.print(f"[bold]audit[/] {source}: FD {sources[source]['fd']:.3f}, KID "
                              f"{sources[source]['kid_mean']:.4f} ± {sources[source]['kid_std']:.4f} (n = {fd_n})")
    return fd_n, metrics


def _membership(ctx: StageContext, data, train, holdout, val, skipped: list[str]):
    """Membership inference against every downstream model: members are the train split, non-members
    half the holdout patients; the other half and val train the shadow models.
    (the per-model runs, the number of non-members, the shadows' train balanced accuracy)."""
    acfg = ctx.cfg.audit
    members = (train.images, train.labels)
    eval_mask, shadow_mask = split_holdout_patients(holdout.patient_ids, ctx.seed("holdout"))
    nonmembers = (holdout.images[eval_mask], holdout.labels[eval_mask])
    attack, shadow_acc = None, None
    pool = (torch.cat([holdout.images[shadow_mask], val.images]), torch.cat([holdout.labels[shadow_mask], val.labels]))
    pool_patients = np.concatenate([np.asarray(holdout.patient_ids)[shadow_mask.numpy()], np.asarray(val.patient_ids)])
    if 0 < acfg.shadow_models and (len(pool[0]) < 4 * acfg.shadow_models
                                   or len(np.unique(pool_patients)) < 2 * acfg.shadow_models):
        why = (f"shadow-model attack skipped: {len(pool[0])} images of {len(np.unique(pool_patients))} patients "
               f"(half the holdout + val) are too few for {acfg.shadow_models} shadow models")
        ctx.console.print(f"[yellow]{why}")
        skipped.append(why)
    elif acfg.shadow_models > 0:
        epochs = acfg.shadow_epochs  # null: the downstream budget, as the targets
        attack, shadow_acc = fit_shadow_attack(pool, shadow_trainer(ctx, epochs), acfg.shadow_models,
                                               ctx.seed("shadow"), acfg.batch_size, patient_ids=pool_patients)
    mia_runs = attack_downstream_models(ctx.input("downstream").models(), members, nonmembers, attack,
                                        ctx.seed("mia"), ctx.device, acfg.batch_size)
    return mia_runs, int(eval_mask.sum()), shadow_acc


def _privacy_table(sources: dict) -> pd.DataFrame:
    """privacy.csv: one row per source."""
    return pd.DataFrame([
        {"source": s, "num_samples": v["num_samples"], "fd": v["fd"], "kid_mean": v["kid_mean"], "kid_std": v["kid_std"],
         "fd_n": v["n"], "reid_rate": v["reid"]["rate"],
         **{f"{k}_{m}": d[m] for k, d in v["distances"].items() for m in ("mean_min", "near_duplicate_rate")}}
        for s, v in sources.items()
    ])


STAGE = Stage(
    name="privacy_audit",
    run=run,
    needs=("data", "gan", "auditor", "walk", "anchors", "downstream"),
    config_keys=("audit", "downstream", "classifier", "stream", "walk", "anchors", "data", "gan.fd_features", "auditor",
                 "logging", "gan.projection", "gan.pretrained"),
    description="privacy audit per source: nearest-real distances, near-duplicates, re-identification, FD, "
                "distance along the paths, membership inference against the classifiers, the released images and "
                "the generator (audit.json, CSVs, PNG)",
    distributed=True,  # shadow models train with Lightning: every rank runs the stage, rank 0 writes
    outputs=AuditOutputs,
)
