"""What a release reads from a finished run, loaded once for `export` and for `verify`.

The release measures its images the way the run's audit measured its samples: the same
distance kinds against the same real training images, the audit's near-duplicate
thresholds (read from privacy_audit/audit.json, not re-calibrated, so the card and the audit
speak of the same thresholds), and the same independent auditor. None of what is loaded
here is ever written into a release.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from omegaconf import DictConfig
from torch import nn

from ..audit.source_audit import RealReference, featurise_reference
from ..metrics.fd_features import choose_fd_features
from ..metrics.lpips import load_lpips
from ..pipeline.run_state import check_run_current as check_stages_current
from ..stages import load_stages
from ..stages.outputs import RunFolder

# What a release reads besides the data, gan, anchors and walk stages behind the audit.
NEEDED = {"auditor": ("model.pt", "identities.json"), "privacy_audit": ("audit.json",)}


@dataclass
class RunInputs:
    run_dir: Path
    cfg: DictConfig
    audit: dict  # privacy_audit/audit.json
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


def check_run_folder(run_dir: Path) -> None:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run folder {run_dir} does not exist")
    if not (run_dir / "config.yaml").is_file():
        raise FileNotFoundError(f"{run_dir} is not a run folder (no config.yaml)")


def check_finished_run(run_dir: Path) -> None:
    """The run holds the files a release reads (cheap: names the stage to run when one is missing)."""
    check_run_folder(run_dir)
    run = RunFolder(run_dir)
    for name, files in NEEDED.items():
        for file in files:
            run.stage(name).existing(file)  # names the stage to run when the file is missing


def check_run_current(run_dir: Path, purpose: str) -> None:
    """Refuse a run in progress, or one whose audit (or any stage it read) is not current for the run's
    config.yaml: the card would quote figures of other settings (pipeline/run_state.py)."""
    check_stages_current(run_dir, load_stages(), ("privacy_audit",), purpose)


def load_run_inputs(run_dir: Path, device: str | torch.device = "cpu") -> RunInputs:
    run_dir, device = Path(run_dir), torch.device(device)
    check_finished_run(run_dir)
    run = RunFolder(run_dir)
    cfg = run.config()
    audit = run.stage("privacy_audit").audit()
    data = run.stage("data").real()
    train = data.split("train")
    train_images = train.read_all().images  # the audit's reference: features of every member
    auditor = run.stage("auditor").model(device)
    lpips = None
    thresholds = dict(audit["thresholds"])
    if "lpips" in thresholds:
        lpips, why = load_lpips(cfg.audit.lpips_weights, cfg.audit.lpips_backbone_weights)
        if lpips is None:
            raise FileNotFoundError(f"the run's audit measured LPIPS but its weights are not available here: {why}")
        lpips = lpips.to(device)
    batch = int(cfg.audit.batch_size)
    # The audit's own featurisation, with the thresholds it calibrated (not recalibrated here).
    kinds, features = featurise_reference(train_images, list(thresholds), auditor, lpips, batch_size=batch)
    reference = RealReference(kinds, features, thresholds, device)
    fd_extractor, fd_features = choose_fd_features(cfg.gan.fd_features, cfg.audit.inception_weights,
                                                   run.stage("gan").fd_encoder(), auditor)
    return RunInputs(run_dir, cfg, audit, list(data.class_names), data.images, train_images, auditor, reference,
                     fd_extractor, fd_features, device)
