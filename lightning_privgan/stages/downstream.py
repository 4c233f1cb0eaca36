"""Stage `downstream`: the utility half of the paper's table.

For every source (real / linear / plan / ksame) and seed, a DiagnosticClassifier is trained
on that source alone, its checkpoint chosen on the real val split, and it is tested on the
real test split. The models are kept (model_<source>_<seed>.pt): the audit attacks them.
A finished run leaves runs/<source>_<seed>.json, so an interrupted stage redoes only the
missing runs.
"""
from __future__ import annotations

import json

import pandas as pd
import torch
from omegaconf import OmegaConf

from ..artifacts.downstream_outputs import DownstreamOutputs
from ..pipeline.atomic import atomic_path, write_json_atomic
from ..pipeline.stage import Stage, StageContext

METRICS = ("acc", "macro_acc", "auroc", "f1", "kappa")


def _training_set(ctx: StageContext, source: str, seed_idx: int, train, art_loader):
    if source == "real":
        return train.images, train.labels
    from ..audit.synthetic_sources import synthetic_source

    num = ctx.cfg.downstream.synthetic_samples or ctx.cfg.stream.samples_per_epoch
    images, labels, _ = synthetic_source(
        source, art_loader(), num, ctx.seed("samples", source, seed_idx),
        interpolate=ctx.cfg.stream.interpolate, noise_mode=ctx.cfg.walk.noise_mode,
    )
    return images, labels


def stream_for_source(ctx: StageContext, source: str, seed: int, val_dataset=None):
    """The WalkerDataModule of `source` ('plan' | 'linear') over this run's pairs.

    refresh='cache' streams points of the walk stage's saved paths (no optimisation at train
    time); refresh='fresh' re-walks the same pairs in the stream, which needs φ_id and φ_class.
    With stream.gate_threshold set, samples too close to a real train image (auditor
    embedding) are rejected.
    """
    from ..walk.datamodule import WalkerDataModule
    from ..walk.gate import PrivacyGate
    from ..walk.paths import walk_kwargs

    cfg = ctx.cfg
    saved, anchors = ctx.input("walk").paths(), ctx.input("anchors").anchors()
    paths = saved.get(source) if cfg.stream.refresh == "cache" else None
    id_net = class_net = None
    if paths is None and source == "plan":
        id_net, class_net = ctx.input("identity").model(), ctx.input("classifier").model()
    gate = None
    if cfg.stream.gate_threshold is not None:
        real = ctx.input("data").real().split("train").images
        gate = PrivacyGate(ctx.input("auditor").model(), real, cfg.stream.gate_threshold)
    return WalkerDataModule(ctx.input("gan").generator(), anchors["w"], anchors["labels"], saved["pairs"], cfg.stream,
                            walk_kwargs(cfg.walk), seed=seed, method=source, id_net=id_net, class_net=class_net,
                            paths=paths, gate=gate, val_dataset=val_dataset)


def summarize_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of every metric, one row per source."""
    metrics = [m for m in METRICS if m in runs.columns]
    grouped = runs.groupby("source", sort=False)[metrics]
    summary = grouped.mean().add_suffix("_mean").join(grouped.std(ddof=1).fillna(0.0).add_suffix("_std"))
    summary.insert(0, "runs", grouped.size())
    return summary.reset_index()


def run(ctx: StageContext) -> None:
    from ..data.image_dataset import ImageDataset
    from ..pipeline.seeds import derive_seed
    from ..data.transforms import build_train_transform
    from ..models.classifier_io import export_classifier
    from ..models.classifier_metrics import evaluate_diagnostic
    from ..training.diagnostic_training import train_diagnostic
    from ..training.loaders import make_loader

    cfg, out = ctx.cfg, ctx.outputs
    data = ctx.input("data").real()
    train, val, test = data.split("train"), data.split("val"), data.split("test")
    for name, split in (("train", train), ("val", val), ("test", test)):
        if len(split) == 0:
            raise ValueError(f"the '{name}' split is empty; the downstream comparison needs train, val and test")
    clf_cfg = OmegaConf.merge(cfg.classifier, {"epochs": cfg.downstream.epochs})
    device = ctx.device
    cache: dict = {}

    def artifacts():  # G and the paths are loaded once, and only when a synthetic source needs them
        if "art" not in cache:
            from ..artifacts.walk_artifacts import load_walk_artifacts

            cache["art"] = load_walk_artifacts(ctx.input("gan"), ctx.input("anchors"), ctx.input("walk"), device)
        return cache["art"]

    rows = []
    for source in cfg.downstream.sources:
        for seed_idx in range(cfg.downstream.seeds):
            tag = f"{source}_{seed_idx}"
            done, model_file = out.run_record(source, seed_idx), out.model_file(source, seed_idx)
            if done.is_file() and model_file.is_file():
                rows.append(json.loads(done.read_text()))
                continue
            seed = ctx.seed("augment", tag)
            workers = cfg.data.num_workers
            if source in ("linear", "plan") and cfg.downstream.stream:
                # The product's path: fresh samples along the paths every epoch, made on the device.
                # (the stream's seed is derived twice, as it always was: figures stay comparable)
                stream_seed = derive_seed(ctx.seed("stream", source, seed_idx), "stream", source)
                stream = stream_for_source(ctx, source, stream_seed, ImageDataset(val.images, val.labels))
                net, _ = train_diagnostic(ctx, None, None, clf_cfg, data.num_classes, data.channels, data.resolution,
                                          subdir=f"runs/{tag}", datamodule=stream)
                num_train = cfg.stream.samples_per_epoch * clf_cfg.epochs
            else:
                images, labels = _training_set(ctx, source, seed_idx, train, artifacts)
                if len(torch.unique(labels)) < data.num_classes:
                    ctx.console.print(f"[yellow]downstream {tag}: only classes {torch.unique(labels).tolist()} among {len(labels)} training images")
                transform = build_train_transform(cfg.data.augment, data.channels, seed, clf_cfg.augment)
                train_loader = make_loader(ImageDataset(images, labels, transform), clf_cfg.batch_size, True, workers, seed)
                val_loader = make_loader(ImageDataset(val.images, val.labels), clf_cfg.batch_size, False, workers, seed)
                net, _ = train_diagnostic(ctx, train_loader, val_loader, clf_cfg, data.num_classes, data.channels,
                                          data.resolution, subdir=f"runs/{tag}")
                num_train = len(labels)
            metrics = evaluate_diagnostic(net.to(device), test.images, test.labels, data.num_classes)
            row = {"source": source, "seed": seed_idx, "train_images": int(num_train), **metrics}
            rows.append(row)
            if not ctx.is_global_zero:  # every rank trained (DDP); one writes
                continue
            export_classifier(net.cpu(), model_file,
                              meta={"kind": "downstream", "source": source, "seed": seed_idx, "class_names": data.class_names})
            write_json_atomic(done, row)
            ctx.console.print(f"[bold]downstream[/] {tag}: " + ", ".join(f"{k} {metrics[k]:.3f}" for k in METRICS if k in metrics))
    if not ctx.is_global_zero:
        return
    runs = pd.DataFrame(rows)
    with atomic_path(out.path(out.RUNS)) as tmp:
        runs.to_csv(tmp, index=False)
    with atomic_path(out.path(out.SUMMARY)) as tmp:
        summarize_runs(runs).to_csv(tmp, index=False)


STAGE = Stage(
    name="downstream",
    run=run,
    # identity and auditor: a fresh PLAN stream walks with φ_id, a gated stream screens with the auditor.
    needs=("data", "gan", "identity", "auditor", "classifier", "anchors", "walk"),
    config_keys=("downstream", "classifier", "stream", "walk", "anchors", "data", "gan"),
    description="train a diagnostic classifier per source and seed on real/linear/plan/k-same, test on real (runs.csv, summary.csv)",
    distributed=True,  # Lightning training: every rank runs the stage, rank 0 writes
    outputs=DownstreamOutputs,
)
