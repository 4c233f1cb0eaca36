"""Stage `downstream`: the utility half of the paper's table.

For every source (real / linear / plan / ksame) and seed, a DiagnosticClassifier is trained
on that source alone, its checkpoint chosen on the real val split, and it is tested on the
real test split. Every source gets the same training (data/training_budget.py): the same
optimiser steps at the same batch size, the classifier's augmentation (stream batches too)
and inverse-frequency class weights from its own labels (the stream: its walked pairs'
labels). The models are kept (model_<source>_<seed>.pt): the audit attacks them.
A finished run leaves runs/<source>_<seed>.json, so an interrupted stage redoes only the
missing runs.
"""
from __future__ import annotations

import json

import pandas as pd
import torch
from omegaconf import OmegaConf

from ..core.atomic import atomic_path, write_json_atomic
from ..core.device_settings import use_channels_last
from ..core.seeds import derive_seed
from ..data.image_dataset import ImageDataset
from ..data.training_budget import budget_loader, stream_settings, training_budget
from ..data.transforms import build_train_transform
from ..metrics.classification import evaluate_diagnostic, inverse_frequency_weights
from ..models.classifier_io import export_classifier
from ..pipeline.parallel_fits import parallel_fits, run_each
from ..pipeline.stage import Stage, StageContext
from ..training.diagnostic_training import train_diagnostic
from ..training.loaders import make_loader
from ..walk.datamodule import WalkerDataModule
from ..walk.gate import build_gate
from ..walk.synthetic_sources import gated_synthetic_source
from .outputs import DownstreamOutputs, load_walk_artifacts

METRICS = ("acc", "macro_acc", "auroc", "f1", "kappa")
BUDGET_COLUMNS = ("steps", "batch_size", "images_seen", "distinct_images", "augment", "class_weights")


def _training_set(ctx: StageContext, source: str, seed_idx: int, train, art_loader, gate_loader):
    if source == "real":
        return train.images, train.labels

    num = ctx.cfg.downstream.synthetic_samples or ctx.cfg.stream.samples_per_epoch
    # The fixed set is screened by the stream's gate like the stream (the k-same anchors are not:
    # they are the anchors themselves, whatever the gate says).
    gate = gate_loader() if source in ("linear", "plan") else None
    images, labels, _, _ = gated_synthetic_source(
        source, art_loader(), num, ctx.seed("samples", source, seed_idx), gate,
        interpolate=ctx.cfg.stream.interpolate, noise_mode=ctx.cfg.walk.noise_mode,
    )
    return images, labels


def stream_for_source(ctx: StageContext, art, source: str, seed: int, stream_cfg, val_dataset=None, gate=None):
    """The WalkerDataModule of `source` ('plan' | 'linear') over this run's pairs (`art`: the loaded
    walk artifacts, G and saved paths and anchors), with the stream settings `stream_cfg` (sized to
    the training budget).

    refresh='cache' streams points of the walk stage's saved paths (no optimisation at train
    time); refresh='fresh' re-walks the same pairs in the stream, which needs φ_id and φ_class.
    `gate` (walk/gate.build_gate) rejects samples too close to a real train image.
    """
    saved, anchors = art.paths, art.anchors
    paths = saved.get(source) if stream_cfg.refresh == "cache" else None
    id_net = class_net = None
    if paths is None and source == "plan":
        id_net, class_net = ctx.input("identity").model(), ctx.input("class_guide").model()
    return WalkerDataModule(art.G, anchors["w"], anchors["labels"], saved["pairs"], stream_cfg, ctx.cfg.walk,
                            seed=seed, method=source, id_net=id_net, class_net=class_net, paths=paths, gate=gate,
                            val_dataset=val_dataset)


def stream_gate(ctx: StageContext):
    """The privacy gate that screens the synthetic sources (None when stream.gate is off)."""
    if not ctx.cfg.stream.gate:
        return None
    train = ctx.input("data").real().split("train").read_all()
    return build_gate(ctx.cfg, ctx.input("auditor").model(), train.images, train.patient_ids)


def summarize_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of every metric, one row per source."""
    metrics = [m for m in METRICS if m in runs.columns]
    grouped = runs.groupby("source", sort=False)[metrics]
    summary = grouped.mean().add_suffix("_mean").join(grouped.std(ddof=1).fillna(0.0).add_suffix("_std"))
    summary.insert(0, "runs", grouped.size())
    budget = [c for c in BUDGET_COLUMNS if c in runs.columns]  # one value per source: its training budget
    if budget:
        summary = summary.join(runs.groupby("source", sort=False)[budget].first())
    return summary.reset_index()


def _plan(ctx: StageContext):
    """(the training budget, the classifier settings at it, the stream settings at it), the same
    for every run of the stage."""
    budget = training_budget(ctx.cfg)
    clf_cfg = OmegaConf.merge(ctx.cfg.classifier, {"epochs": budget.epochs})
    return budget, clf_cfg, OmegaConf.merge(ctx.cfg.stream, stream_settings(budget))


def train_run(ctx: StageContext, run: tuple[str, int], cache: dict) -> dict:
    """Train, test and record the (source, seed index) run `run` (one not yet recorded); its row of runs.csv.
    `cache` keeps what the runs of one process share: G with the paths, and the gate."""
    cfg, out = ctx.cfg, ctx.outputs
    source, seed_idx = run
    tag = f"{source}_{seed_idx}"
    done, model_file = out.run_record(source, seed_idx), out.model_file(source, seed_idx)
    data = ctx.input("data").real()
    train, val, test = data.split("train"), data.split("val"), data.split("test")
    budget, clf_cfg, stream_cfg = _plan(ctx)
    device = ctx.device

    def artifacts():  # G and the paths are loaded once, and only when a synthetic source needs them
        if "art" not in cache:
            cache["art"] = load_walk_artifacts(ctx.input("gan"), ctx.input("anchors"), ctx.input("walk"), device,
                                               channels_last=use_channels_last(cfg.trainer))
        return cache["art"]

    def gate():  # one gate screens the stream and the fixed sets alike
        if "gate" not in cache:
            cache["gate"] = stream_gate(ctx)
        return cache["gate"]

    seed = ctx.seed("augment", tag)
    workers = cfg.data.num_workers
    transform = build_train_transform(cfg.data.augment, data.channels, seed, clf_cfg.augment)
    if source in ("linear", "plan") and cfg.downstream.stream:
        # The product's path: fresh samples along the paths every batch, made on the device,
        # augmented like the real images and weighted by the walked pairs' labels.
        # (the stream's seed is derived twice, as it always was: figures stay comparable)
        stream_seed = derive_seed(ctx.seed("stream", source, seed_idx), "stream", source)
        stream = stream_for_source(ctx, artifacts(), source, stream_seed, stream_cfg,
                                   ImageDataset(val.images, val.labels), gate())
        stream.train_transform = transform
        weights = inverse_frequency_weights(stream.pair_labels, data.num_classes)
        net, _ = train_diagnostic(ctx, None, None, clf_cfg, data.num_classes, data.channels, data.resolution,
                                  subdir=f"runs/{tag}", datamodule=stream, class_weights=weights)
        distinct = budget.images_seen  # every streamed sample is a fresh one
    else:
        images, labels = _training_set(ctx, source, seed_idx, train, artifacts, gate)
        if len(torch.unique(labels)) < data.num_classes:
            ctx.console.print(f"[yellow]downstream {tag}: only classes {torch.unique(labels).tolist()} among {len(labels)} training images")
        train_loader = budget_loader(ImageDataset(images, labels, transform), budget, workers, seed)
        val_loader = make_loader(ImageDataset(val.images, val.labels), clf_cfg.batch_size, False, workers, seed)
        net, _ = train_diagnostic(ctx, train_loader, val_loader, clf_cfg, data.num_classes, data.channels,
                                  data.resolution, subdir=f"runs/{tag}")
        distinct = len(labels)
    metrics = evaluate_diagnostic(net.to(device), test.images, test.labels, data.num_classes, clf_cfg.batch_size)
    weights = "inverse frequency" if clf_cfg.class_weighting else "none"
    row = {"source": source, "seed": seed_idx, **metrics, "steps": budget.steps, "batch_size": budget.batch_size,
           "images_seen": budget.images_seen, "distinct_images": int(distinct), "augment": clf_cfg.augment,
           "class_weights": weights}
    if ctx.is_global_zero:  # every rank trained (DDP); one writes
        export_classifier(net.cpu(), model_file,
                          meta={"kind": "downstream", "source": source, "seed": seed_idx, "class_names": data.class_names})
        write_json_atomic(done, row)
        ctx.console.print(f"[bold]downstream[/] {tag}: " + ", ".join(f"{k} {metrics[k]:.3f}" for k in METRICS if k in metrics))
    return row


def run(ctx: StageContext) -> None:
    cfg, out = ctx.cfg, ctx.outputs
    data = ctx.input("data").real()
    for name in ("train", "val", "test"):
        if len(data.split(name)) == 0:
            raise ValueError(f"the '{name}' split is empty; the downstream comparison needs train, val and test")
    budget, clf_cfg, _ = _plan(ctx)
    ctx.console.print(f"[bold]downstream[/] budget per run, every source: {budget.steps} steps x {budget.batch_size} "
                      f"images = {budget.images_seen} images seen, {budget.epochs} validation rounds, "
                      f"augmentation {clf_cfg.augment}, class weighting {'on' if clf_cfg.class_weighting else 'off'}")
    runs = [(source, seed_idx) for source in cfg.downstream.sources for seed_idx in range(cfg.downstream.seeds)]
    todo = [r for r in runs if not (out.run_record(*r).is_file() and out.model_file(*r).is_file())]
    processes = min(parallel_fits(cfg), len(todo))
    if processes > 1:
        ctx.console.print(f"[bold]downstream[/] {len(todo)} runs to train, {processes} at a time (trainer.parallel_fits)")
    # The finished runs are read back from their records, the others trained (several at once on a CPU).
    trained = dict(zip(todo, run_each(train_run, ctx, todo, processes)))
    rows = [trained[r] if r in trained else json.loads(out.run_record(*r).read_text()) for r in runs]
    if not ctx.is_global_zero:
        return
    table = pd.DataFrame(rows)
    with atomic_path(out.path(out.RUNS)) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(out.path(out.SUMMARY)) as tmp:
        summarize_runs(table).to_csv(tmp, index=False)
    write_json_atomic(out.path(out.BUDGET), {**budget.to_dict(), "augment": clf_cfg.augment,
                                                "class_weighting": bool(clf_cfg.class_weighting)})


STAGE = Stage(
    name="downstream",
    run=run,
    # identity: a fresh PLAN stream walks with φ_id; auditor: a gated source is screened with it.
    needs=("data", "gan", "identity", "auditor", "class_guide", "anchors", "walk"),
    config_keys=("downstream", "classifier", "stream", "walk", "anchors", "data", "audit.near_duplicate_quantile"),
    description="train a diagnostic classifier per source and seed on real/linear/plan/k-same, test on real (runs.csv, summary.csv)",
    distributed=True,  # Lightning training: every rank runs the stage, rank 0 writes
    outputs=DownstreamOutputs,
)
