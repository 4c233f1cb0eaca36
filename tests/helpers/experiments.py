"""Experiment files and settings the tests share: the repository root, a written experiment, the tiny CPU run."""
from __future__ import annotations

from pathlib import Path

from lightning_privgan.config.defaults_yaml import render_base_yaml

REPO = Path(__file__).resolve().parents[2]


def write_exp(tmp_path: Path, body: str, name: str = "exp.yaml") -> Path:
    (tmp_path / "base.yaml").write_text(render_base_yaml())
    path = tmp_path / name
    path.write_text(body)
    return path


TINY = {
    "name": "wandb", "data": {"resolution": 16, "batch_size": 16, "phantom": {"num_patients": 24, "scans_per_patient": 3}},
    "trainer": {"accelerator": "cpu", "devices": 1, "progress_bar": False},
    "logger": {"wandb": {"enabled": True, "mode": "offline"}},
    "gan": {"kimg": 0.032, "batch_size": 8, "fd_every_kimg": 0.016, "sample_every_kimg": 0.016, "fd_num_images": 32,
            "fd_encoder_epochs": 1, "sample_grid": 4, "channel_base": 256, "channel_max": 32, "checkpoint_every_kimg": 0.016,
            "projection": {"steps": 2, "batch_size": 64}},
    "identity": {"epochs": 1, "width": 4, "batch_size": 16}, "auditor": {"epochs": 1, "backbone": "compact", "width": 4},
    "classifier": {"epochs": 1, "width": 4, "batch_size": 16},
    "anchors": {"k": 2, "num_pairs": 4},
    "walk": {"n_steps": 4, "optim_steps": 2, "pairs_per_chunk": 4},
    "downstream": {"seeds": 1, "epochs": 1}, "stream": {"samples_per_epoch": 16, "batch_size": 8, "pairs_per_batch": 2},
    "audit": {"samples_per_source": 8, "shadow_models": 0, "path_pairs": 2, "grid_samples": 4, "batch_size": 16,
              "distances": ["auditor", "l2"], "path_distance": "l2"},
}
