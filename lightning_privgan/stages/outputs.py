"""Typed outputs of every stage: each stage's artifact names and loaders live in one class.

A stage writes through its own outputs object (`ctx.outputs`) and reads another stage's
only through `ctx.input(name)`, which the runner allows for declared `needs` alone.
Library code (walk/, audit/, data/, models/) receives the loaded objects, never a folder.
RunFolder, at the end, sees a finished run through these classes, for the commands that read
a run after the fact (report, export, verify, sweep).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch
from omegaconf import DictConfig, OmegaConf
from torch import nn

from ..data.real_store import RealData
from ..metrics.fd_encoder import load_offline_encoder
from ..models.classifier_io import load_classifier
from ..models.generator_io import load_generator
from ..pipeline.run_format import check_run_format
from ..pipeline.stage_outputs import StageOutputs
from ..pipeline.stage_table import STAGE_ORDER, load_stages
from ..walk.synthetic_sources import WalkArtifacts


# Outputs of the `data` stage: the decoded images with their manifest, and the split summary.
class DataOutputs(StageOutputs):
    stage = "data"
    REQUIRED = ("manifest.csv", "summary.json")
    CHECKED = ("classes.json", "images.u8", "images.json", "images.pt")  # the image store (data/image_store.py)
    BAD_IMAGES = "bad_images.csv"

    def real(self):
        """The real data set (data/real_store.RealData), its images read lazily."""
        self.existing("manifest.csv")
        return RealData.load(self.folder)

    def summary(self) -> dict:
        return self.read_json("summary.json")


# Outputs of the `gan` stage: G_ema, its FD curve, sample grids and the FD encoder it measured with.
class GanOutputs(StageOutputs):
    stage = "gan"
    REQUIRED = ("generator.pt", "summary.json")
    CHECKED = ("generator.pkl", "fd_encoder.pt", "fd_curve.csv")  # not checkpoints/: only a resume reads them
    GENERATOR = "generator.pt"
    FD_CURVE = "fd_curve.csv"
    # Written while training when no Inception weights exist (models/gan_monitor.py): the
    # audit measures its FD with the same features, so the two figures are comparable.
    FD_ENCODER = "fd_encoder.pt"
    SAMPLES = "samples"
    CHECKPOINT = "checkpoints/last.ckpt"

    def generator(self, device: str | torch.device = "cpu", channels_last: bool = False) -> nn.Module:
        """G_ema in eval mode without gradients, on `device`; with channels_last its convolution
        weights in NHWC, so that it renders and back-propagates in that layout (use_channels_last)."""
        G = load_generator(self.existing(self.GENERATOR), device=device).eval().requires_grad_(False)
        return G.to(memory_format=torch.channels_last) if channels_last else G

    def fd_encoder(self) -> nn.Module | None:
        """The offline FD encoder of this run, or None when training used Inception features."""
        path = self.path(self.FD_ENCODER)
        return load_offline_encoder(path) if path.is_file() else None

    def summary(self) -> dict:
        return self.read_json("summary.json")


# Outputs of the classifier-training stages: φ_class (`class_guide`), φ_id (`identity`) and the
# independent identity network of the audit (`auditor`).
class ClassifierOutputs(StageOutputs):
    """φ_class: the diagnostic network that keeps a PLAN path in its class."""

    stage = "class_guide"
    REQUIRED = ("model.pt", "metrics.json")
    MODEL = "model.pt"
    METRICS = "metrics.json"

    def model(self, device: str | torch.device = "cpu") -> nn.Module:
        """The trained network, frozen (eval mode, no gradients), on `device`."""
        return load_classifier(self.existing(self.MODEL), map_location=device).eval().requires_grad_(False)

    def metrics(self) -> dict:
        return self.read_json(self.METRICS)


class IdentityOutputs(ClassifierOutputs):
    """φ_id: one class per training patient."""

    stage = "identity"
    REQUIRED = ("model.pt", "metrics.json", "identities.json")
    IDENTITIES = "identities.json"

    def identities(self) -> list[str]:
        """Patient id of each output class, in class order."""
        return self.read_json(self.IDENTITIES)["identities"]


class AuditorOutputs(IdentityOutputs):
    """An identity network trained apart from φ_id, so the audit does not judge the walk by its own guide."""

    stage = "auditor"


# Outputs of the `anchors` stage: the walks' endpoints and the pairs to walk between.
class AnchorsOutputs(StageOutputs):
    stage = "anchors"
    REQUIRED = ("anchors.pt", "pairs.pt")
    ANCHORS = "anchors.pt"  # {w [A, w_dim], labels [A], groups, member_w, method, psnr}
    PAIRS = "pairs.pt"  # {pairs [M, 2], labels [M]}
    GRID = "anchors.png"

    def anchors(self) -> dict:
        # Our own file (it holds manifest rows as Python lists): full unpickling is safe.
        return self.load_torch(self.ANCHORS, weights_only=False)

    def pairs(self) -> dict:
        return self.load_torch(self.PAIRS, weights_only=True)


# Outputs of the `walk` stage: linear and PLAN paths between the same anchor pairs.
class WalkOutputs(StageOutputs):
    stage = "walk"
    REQUIRED = ("paths.pt",)
    PATHS = "paths.pt"  # {"linear"/"plan": [P, n, ...], "pairs", "labels", "losses"}
    STRIPS = "strips.png"
    PARTIAL = "partial"  # finished chunks of an unfinished walk, one file per method and chunk

    def paths(self) -> dict:
        return self.load_torch(self.PATHS, weights_only=False)

    def chunk_file(self, method: str, start: int) -> Path:
        return self.folder / self.PARTIAL / f"{method}_{start:06d}.pt"


# What every synthetic source is made from (G_ema, the saved paths, the anchors), loaded from
# the outputs of the gan, anchors and walk stages for downstream, the audit and export.
def load_walk_artifacts(gan: GanOutputs, anchors: AnchorsOutputs, walk: WalkOutputs,
                        device: torch.device | str = "cpu", channels_last: bool = False) -> WalkArtifacts:
    return WalkArtifacts(gan.generator(device, channels_last), walk.paths(), anchors.anchors())


# Outputs of the `downstream` stage: one diagnostic model per source and seed, and their test figures.
class DownstreamOutputs(StageOutputs):
    stage = "downstream"
    REQUIRED = ("runs.csv", "summary.csv")
    CHECKED = ("budget.json", "model_*_*.pt")  # the audit attacks the models
    RUNS = "runs.csv"  # one row per (source, seed)
    SUMMARY = "summary.csv"  # mean and std over seeds per source
    BUDGET = "budget.json"  # the training budget every source got (steps, batch size, augmentation, weighting)

    def model_file(self, source: str, seed: int) -> Path:
        return self.folder / f"model_{source}_{seed}.pt"

    def run_record(self, source: str, seed: int) -> Path:
        """Written when one (source, seed) run finished: an interrupted stage redoes only the others."""
        return self.folder / "runs" / f"{source}_{seed}.json"

    def models(self) -> list[tuple[str, int, Path]]:
        """(source, seed, model path) of every trained downstream model."""
        found = []
        for path in sorted(self.folder.glob("model_*_*.pt")):
            source, _, seed = path.stem[len("model_"):].rpartition("_")
            if seed.isdigit():
                found.append((source, int(seed), path))
        if not found:
            raise FileNotFoundError(f"no model_<source>_<seed>.pt in {self.folder}; run the 'downstream' stage first")
        return found

    def runs(self) -> pd.DataFrame:
        return pd.read_csv(self.existing(self.RUNS))

    def budget(self) -> dict | None:
        return self.read_json_if_present(self.BUDGET)

    def summary(self) -> pd.DataFrame | None:
        path = self.path(self.SUMMARY)
        return pd.read_csv(path) if path.is_file() else None


# Outputs of the `privacy_audit` stage: the privacy figures per source, the path curve, membership inference.
class AuditOutputs(StageOutputs):
    stage = "privacy_audit"
    REQUIRED = ("audit.json", "privacy.csv", "path_curve.json")
    CHECKED = ("nearest_*.csv", "mia_runs.csv", "path_distances.csv", "grid_*.pt",  # the report and a release read them
               "release_attacks.json", "release_attacks.csv", "roc_*.png")
    AUDIT = "audit.json"
    PATH_CURVE = "path_curve.json"
    RELEASE_ATTACKS = "release_attacks.json"

    def audit(self) -> dict | None:
        return self.read_json_if_present(self.AUDIT)

    def path_curve(self) -> dict | None:
        return self.read_json_if_present(self.PATH_CURVE)

    def release_attacks(self) -> dict | None:
        """release_attacks.json (stages/release_attacks.py), or None for a run audited before it existed."""
        return self.read_json_if_present(self.RELEASE_ATTACKS)

    def nearest(self, source: str) -> pd.DataFrame:
        """Per-sample nearest-real distances of `source` (one column per distance kind)."""
        return pd.read_csv(self.existing(f"nearest_{source}.csv"))

    def grid_files(self) -> list[Path]:
        """grid_<source>.pt: uint8 samples per source that the report draws."""
        return sorted(self.folder.glob("grid_*.pt"))

    @staticmethod
    def read_grid(path: Path) -> dict:
        return torch.load(path, map_location="cpu", weights_only=True)


# Outputs of the `report` stage: report.md at the run's top level, its tables and figures in report/.
class ReportOutputs(StageOutputs):
    stage = "report"
    REQUIRED = ("table.csv",)


# A finished run folder seen through the stages' typed outputs, for the commands that read a
# run after the fact (report, export, verify, sweep) rather than as a stage.
CONFIG = "config.yaml"  # the resolved config the runner wrote when the run started


class RunFolder:
    """Refuses, on first use, a run folder of another format version (pipeline/run_format.py)."""

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)

    def exists(self) -> bool:
        return self.run_dir.is_dir()

    def stage(self, name: str) -> StageOutputs:
        if name not in STAGE_ORDER:
            raise ValueError(f"unknown stage {name!r}; stages are: {', '.join(STAGE_ORDER)}")
        check_run_format(self.run_dir)
        stage = next(s for s in load_stages((name,)))
        return stage.outputs(self.run_dir / name)

    def config(self) -> DictConfig | None:
        path = self.run_dir / CONFIG
        check_run_format(self.run_dir)
        return OmegaConf.load(path) if path.is_file() else None


def sweep_folder(finished_run: Path) -> Path:
    """The default sweep folder, runs/<name>-sweep beside runs/<name>: outside the finished
    run, whose folder the sweep only reads (its report links sweep.md from there)."""
    return finished_run.parent / f"{finished_run.name}-sweep"
