"""What a release reads from a finished run, loaded once for `export` and for `verify`.

The release measures its images the way the run's audit measured its samples: the same
distance kinds against the same real training images, the audit's near-duplicate
thresholds (read from audit/audit.json, not re-calibrated, so the card and the audit
speak of the same thresholds), and the same independent auditor. None of what is loaded
here is ever written into a release.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from omegaconf import DictConfig, OmegaConf
from torch import nn

from ..audit.source_audit import RealReference

NEEDED = {"config.yaml": "run", "auditor/model.pt": "auditor",
          "auditor/identities.json": "auditor", "audit/audit.json": "audit"}


@dataclass
class RunInputs:
    run_dir: Path
    cfg: DictConfig
    audit: dict  # audit/audit.json
    class_names: list[str]
    real_uint8: Any  # the data stage's image store (all splits, read in chunks), for the exact-copy guard
    train_images: torch.Tensor  # float [-1, 1], the members the audit measured against
    auditor: nn.Module
    reference: RealReference  # train features per distance kind + the audit's thresholds
    fd_extractor: Callable[[torch.Tensor], torch.Tensor]
    fd_features: str
    device: torch.device

    @property
    def reid_confidence(self) -> float:
        return float(self.audit["reid_confidence"])


def check_finished_run(run_dir: Path) -> None:
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run folder {run_dir} does not exist")
    for rel, stage in NEEDED.items():
        if not (run_dir / rel).is_file():
            raise FileNotFoundError(f"{run_dir / rel} is missing; run the '{stage}' stage of this run first "
                                    f"(privgan run <experiment> --from {stage})" if stage != "run" else
                                    f"{run_dir} is not a run folder (no config.yaml)")


def load_run_inputs(run_dir: Path, device: str | torch.device = "cpu") -> RunInputs:
    from ..audit.source_audit import featurise_reference
    from ..audit.fd_features import choose_fd_features
    from ..audit.lpips_net import load_lpips
    from ..data.real_store import RealData
    from ..models.classifier_io import load_classifier

    run_dir, device = Path(run_dir), torch.device(device)
    check_finished_run(run_dir)
    cfg = OmegaConf.load(run_dir / "config.yaml")
    audit = json.loads((run_dir / "audit" / "audit.json").read_text())
    data = RealData.load(run_dir / "data")
    train = data.split("train")
    train_images = train.read_all().images  # the audit's reference: features of every member
    auditor = load_classifier(run_dir / "auditor" / "model.pt", map_location=device).requires_grad_(False)
    lpips = None
    thresholds = dict(audit["thresholds"])
    if "lpips" in thresholds:
        lpips, why = load_lpips(cfg.audit.lpips_weights, cfg.audit.lpips_backbone_weights)
        if lpips is None:
            raise FileNotFoundError(f"the run's audit measured LPIPS but its weights are not available here: {why}")
        lpips = lpips.to(device)
    batch = int(cfg.audit.batch_size)
    # The audit's own featurisation, with the thresholds it calibrated (not recalibrated here).
    kinds, features = featurise_reference(train_images, list(thresholds), auditor, lpips, batch)
    reference = RealReference(kinds, features, thresholds, device)
    fd_extractor, fd_features = choose_fd_features(cfg.audit.inception_weights, run_dir / "gan", auditor)
    return RunInputs(run_dir, cfg, audit, list(data.class_names), data.images, train_images, auditor, reference,
                     fd_extractor, fd_features, device)
