"""Stage `data`: read the configured source once, validate it, split it by patient, and
save the decoded uint8 images (a lazily read image store) with their manifest (RealData)
for every later stage."""
from __future__ import annotations

import pandas as pd
from rich.table import Table

from ..core.atomic import atomic_path, write_json_atomic
from ..data.config_checks import check_against_data
from ..data.manifest import build_manifest, split_summary
from ..data.real_store import SPLITS, RealData
from ..data.source_notes import NOTE_TEXT
from ..data.sources import load_source
from ..core.hashing import config_slice
from ..core.seeds import derive_seed
from ..pipeline.stage import Stage, StageContext
from .outputs import DataOutputs


def _print_summary(ctx: StageContext, summary: dict, class_names: list[str]) -> None:
    table = Table(title=f"data: {ctx.cfg.data.source} ({summary['images']} images, {summary['patients']} patients)")
    table.add_column("split")
    table.add_column("patients", justify="right")
    table.add_column("images", justify="right")
    for name in class_names:
        table.add_column(name, justify="right")
    for split in SPLITS:
        part = summary["splits"].get(split)
        if part:
            per_class = [str(part["per_class"][n]) for n in class_names]
            table.add_row(split, str(part["patients"]), str(part["images"]), *per_class)
    ctx.console.print(table)


def data_seed(cfg) -> int:
    """The seed this stage draws from: replicate.data_seed where `privgan replicate` set it (every
    replicate then shares the base run's images and patient split), the experiment seed else."""
    shared = cfg.replicate.data_seed if "replicate" in cfg else None
    return int(cfg.seed if shared is None else shared)


def data_settings(cfg) -> dict:
    """The stage's identity: the data section and the seed it drew from (for a single run exactly
    the runner's default slice, so finished runs stay cached)."""
    return {**config_slice(cfg, ("data",)), "seed": data_seed(cfg)}


def _seed(ctx: StageContext, *names: object) -> int:
    return derive_seed(data_seed(ctx.cfg), ctx.name, *names)


def run_data_stage(ctx: StageContext) -> None:
    data_cfg, out = ctx.cfg.data, ctx.outputs
    # Images go straight to the stage's image store, one chunk at a time (data/image_store.py).
    source = load_source(data_cfg, seed=_seed(ctx, "source")).write_images(out.folder)
    if source.bad_images:
        # on_bad_image=skip: say how many and which, and keep the list beside the data.
        with atomic_path(out.path(out.BAD_IMAGES)) as tmp:
            pd.DataFrame(source.bad_images, columns=["path", "reason"]).to_csv(tmp, index=False)
        ctx.console.print(
            f"[yellow]skipped {len(source.bad_images)} bad image(s), listed in {out.path(out.BAD_IMAGES)}:[/] "
            + ", ".join(p for p, _ in source.bad_images[:5])
        )
    for kind, files in source.notes.items():
        ctx.console.print(f"[yellow]warning: {len(files)} {NOTE_TEXT[kind]}:[/] " + ", ".join(files[:5])
                          + (f" (and {len(files) - 5} more)" if len(files) > 5 else ""))
    manifest = build_manifest(source, data_cfg, seed=_seed(ctx, "splits"))
    class_names = list(data_cfg.class_names)
    RealData(images=source.images, manifest=manifest, class_names=class_names).save(out.folder)
    summary = split_summary(manifest, class_names)
    summary["skipped_images"] = len(source.bad_images)
    summary.update({f"{kind}_count": len(source.notes.get(kind, [])) for kind in NOTE_TEXT})
    write_json_atomic(out.path("summary.json"), summary)
    _print_summary(ctx, summary, class_names)


def _check_config(cfg, outputs: DataOutputs) -> None:
    check_against_data(cfg, outputs.summary())


STAGE = Stage(
    name="data",
    run=run_data_stage,
    check_config=_check_config,
    outputs=DataOutputs,
    needs=(),
    config_keys=("data",),
    settings=data_settings,
    description="decode the real data set, validate it and split it by patient (train/holdout/val/test)",
)
