"""A WalkerDataModule from a run folder: the walk stage's paths, G_ema, and (optionally) the privacy gate."""
from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from ..pipeline.seeds import derive_seed
from .datamodule import WalkerDataModule
from .gate import build_gate
from .paths import walk_kwargs


def walker_datamodule_from_run(run_dir: str | Path, cfg, method: str = "plan",
                               val_dataset: Dataset | None = None) -> WalkerDataModule:
    """Streams `method` ('plan' | 'linear') samples of runs/<experiment>/.

    refresh='cache' reuses the walk stage's saved paths (no optimisation at train time);
    refresh='fresh' re-walks the same pairs in the stream, which needs φ_id and φ_class.
    With stream.gate on, samples too close to a real train image (auditor embedding; threshold
    calibrated as the audit's near-duplicate one unless stream.gate_threshold is given) are rejected.
    """
    from ..models.classifier_io import load_classifier
    from ..models.generator_io import load_generator

    run_dir = Path(run_dir)
    G = load_generator(run_dir / "gan" / "generator.pt")
    saved = torch.load(run_dir / "walk" / "paths.pt", map_location="cpu", weights_only=False)
    anchors = torch.load(run_dir / "anchors" / "anchors.pt", map_location="cpu", weights_only=False)
    id_net = class_net = None
    paths = saved.get(method) if cfg.stream.refresh == "cache" else None
    if paths is None:
        if method == "plan":
            id_net = load_classifier(run_dir / "identity" / "model.pt")
            class_net = load_classifier(run_dir / "classifier" / "model.pt")
    gate = None
    if cfg.stream.gate:
        from ..data.real_store import RealData

        real = RealData.load(run_dir / "data").split("train").read_all()
        gate = build_gate(cfg, load_classifier(run_dir / "auditor" / "model.pt"), real.images, real.patient_ids)
    return WalkerDataModule(G, anchors["w"], anchors["labels"], saved["pairs"], cfg.stream, walk_kwargs(cfg.walk),
                            seed=derive_seed(cfg.seed, "stream", method), method=method, id_net=id_net,
                            class_net=class_net, paths=paths, gate=gate, val_dataset=val_dataset)
