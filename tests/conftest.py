"""Shared test set-up: offline env, small CPU configs, real-data location."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_SILENT", "true")

import pytest  # noqa: E402
import torch  # noqa: E402

# One thread: the tests use tiny tensors, for which thread hand-offs cost more than they
# save, and a second thread fights the DDP subprocess tests for the 2 cores.
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PRIVGAN_SHARED_DATA", REPO.parent / "shared" / "data"))


def pytest_collection_modifyitems(config, items):
    """The files marked heavy (seconds a test: trainings, launched ranks and workers) first, each
    file's tests in their order. pytest-xdist hands files out in this order, so the long ones start
    early and the two workers finish together instead of one running the last long file alone."""
    heavy = {item.path for item in items if item.get_closest_marker("heavy")}
    items.sort(key=lambda item: item.path not in heavy)  # stable: every other order kept


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or skip the test when it is absent."""
    if not (SHARED_DATA / "medmnist").is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def cpu_cfg(tmp_path):
    """Build a validated config shrunk to a quick CPU run; pass nested dicts to override."""
    from omegaconf import OmegaConf

    from lightning_privgan.config.load import config_from_dict

    def build(overrides: dict | None = None):
        base = {
            "name": "test",
            "runs_root": str(tmp_path / "runs"),
            "trainer": {"accelerator": "cpu", "devices": 1, "progress_bar": False},
            "data": {"source": "phantom_cxr", "resolution": 32, "batch_size": 32,
                     "phantom": {"num_patients": 24, "scans_per_patient": 3}},
        }
        cfg = config_from_dict(OmegaConf.to_container(OmegaConf.merge(base, overrides or {})))
        return cfg

    return build
