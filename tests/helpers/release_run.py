"""A small finished run for the release tests: fabricated upstream stages, a real audit stage.

Untrained networks at 16 px: the figures mean nothing, but every file a release reads is
the one the pipeline writes (config.yaml, stage records, data, gan, auditor, anchors,
walk, downstream models, and audit.json written by the audit stage itself).
"""
from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf
from rich.console import Console

from tests.helpers.fabricated_run import RES, fabricate_upstream, record_stages as fabricated_record_stages

STAGES = ("data", "gan", "auditor", "anchors", "walk", "downstream", "privacy_audit")
# Every stage a release reads, directly or not (identity and class_guide guide the walk; they are
# recorded as finished, their outputs are never read here).
RECORDED = ("data", "gan", "identity", "auditor", "class_guide", "anchors", "walk", "downstream", "privacy_audit")


def release_run_config(runs_root: Path):
    from lightning_privgan.config.load import config_from_dict

    return config_from_dict({
        "name": "release_test", "runs_root": str(runs_root),
        "trainer": {"accelerator": "cpu", "devices": 1, "progress_bar": False},
        "data": {"source": "phantom_cxr", "resolution": RES, "phantom": {"num_patients": 24, "scans_per_patient": 3}},
        "walk": {"n_steps": 5},
        "downstream": {"sources": ["real", "linear", "plan"], "seeds": 1},
        "audit": {"distances": ["auditor", "ssim", "l2"], "samples_per_source": 12, "shadow_models": 0,
                  "path_pairs": 2, "grid_samples": 4, "batch_size": 32,
                  "attack_samples": 6, "attack_resamples": 100},
        "gan": {"projection": {"steps": 10}},
    })


def build_release_run(runs_root: Path) -> Path:
    from lightning_privgan.models.classifier_io import export_classifier
    from lightning_privgan.models.components.image_classifier import ImageClassifier
    from lightning_privgan.pipeline.stage import StageContext
    from lightning_privgan.stages import privacy_audit as audit

    cfg = release_run_config(runs_root)
    run_dir = Path(runs_root) / cfg.name
    fabricate_upstream(run_dir, holdout_until=18, anchors_extra={"method": "ksame"})
    for source in ("real", "linear", "plan"):
        export_classifier(ImageClassifier("compact", 1, RES, 2, width=4), run_dir / "downstream" / f"model_{source}_0.pt")
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    audit.run(StageContext(cfg, run_dir, "privacy_audit", console=Console(quiet=True)))
    record_stages(run_dir)
    return run_dir


def record_stages(run_dir: Path, names: tuple[str, ...] = RECORDED) -> None:
    """stage.json of each of `names`, hashed as the runner hashes them for the run's config.yaml
    (tests/helpers/fabricated_run.record_stages): the run is then current, as one the runner finished."""
    from lightning_privgan.pipeline.run_state import load_run_config  # as the commands that read a run load it

    fabricated_record_stages(run_dir, load_run_config(run_dir), names)
