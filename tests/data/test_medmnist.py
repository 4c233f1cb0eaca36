"""MedMNIST .npz loading on the shared real data (skipped when ../shared/data is absent)."""
from __future__ import annotations

import numpy as np
import pytest

from lightning_privgan.data.errors import DataError
from lightning_privgan.data.manifest import build_manifest
from lightning_privgan.data.sources import load_source


@pytest.mark.realdata
def test_pneumonia_two_files_union_deduplicated_official_splits_kept(cpu_cfg, shared_data):
    files = [str(shared_data / "medmnist" / f) for f in ("pneumoniamnist.npz", "pneumoniamnist_balanced.npz")]
    cfg = cpu_cfg({"data": {"source": "medmnist", "files": files, "resolution": 32}})
    source = load_source(cfg.data, seed=0)
    manifest = build_manifest(source, cfg.data, seed=0)
    assert tuple(source.images.shape[1:]) == (1, 32, 32)
    pool = manifest[manifest["split"].isin(["train", "holdout"])]
    # SOURCES.md: the union of both train splits has 4690 unique images (1213 / 3477)
    assert len(pool) == 4690
    assert pool["label"].value_counts().to_dict() == {1: 3477, 0: 1213}
    assert (manifest["split"] == "val").sum() == 524 and (manifest["split"] == "test").sum() == 624
    assert manifest.loc[manifest["split"] == "test", "path"].str.contains("pneumoniamnist.npz:test_images:").all()
    assert manifest["patient_id"].is_unique  # one identity per image


@pytest.mark.realdata
def test_retina_colour_resized_five_grades(cpu_cfg, shared_data):
    data = {
        "source": "medmnist", "files": [str(shared_data / "medmnist" / "retinamnist.npz")], "channels": 3,
        "resolution": 16, "num_classes": 5, "class_names": ["0", "1", "2", "3", "4"],
    }
    cfg = cpu_cfg({"data": data})
    source = load_source(cfg.data, seed=0)
    manifest = build_manifest(source, cfg.data, seed=0)
    assert tuple(source.images.shape) == (1600, 3, 16, 16)
    assert sorted(manifest["label"].unique()) == [0, 1, 2, 3, 4]
    assert (manifest["split"] == "test").sum() == 400


def test_missing_key_and_missing_file(cpu_cfg, tmp_path):
    np.savez(tmp_path / "bad.npz", train_images=np.zeros((2, 28, 28), np.uint8))
    cfg = cpu_cfg({"data": {"source": "medmnist", "files": [str(tmp_path / "bad.npz")]}})
    with pytest.raises(DataError, match=r"bad.npz lacks key\(s\)"):
        load_source(cfg.data, seed=0)
    cfg = cpu_cfg({"data": {"source": "medmnist", "files": [str(tmp_path / "none.npz")]}})
    with pytest.raises(DataError, match="none.npz does not exist"):
        load_source(cfg.data, seed=0)
