"""A new data source is one entry in the registry and its name among the choices: validation,
the data stage and the splits take it from there (README, 'Extending')."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.config.errors import ConfigError
from lightning_privgan.config.validate import CHOICES
from lightning_privgan.data.manifest import SourceData, source_table
from lightning_privgan.data.real_store import RealData
from lightning_privgan.data.sources import SOURCE_BUILDERS
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages.data import run_data_stage


def build_toy(data_cfg, seed: int) -> SourceData:
    """40 patients x 2 scans of flat gray squares, half of them brighter (class 1)."""
    n, side = 80, int(data_cfg.resolution)
    labels = [(i // 2) % 2 for i in range(n)]
    images = torch.stack([torch.full((1, side, side), 60 + 120 * y + i % 7, dtype=torch.uint8)
                          for i, y in enumerate(labels)])
    table = source_table([f"toy/{i}.png" for i in range(n)], labels, [f"patient{i // 2}" for i in range(n)])
    return SourceData(images=images, table=table)


def test_a_toy_source_registered_alone_runs_through_the_data_stage(cpu_cfg, tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="'toy' is not one of"):
        cpu_cfg({"data": {"source": "toy"}})
    monkeypatch.setitem(SOURCE_BUILDERS, "toy", build_toy)
    monkeypatch.setitem(CHOICES, "data.source", (*CHOICES["data.source"], "toy"))
    cfg = cpu_cfg({"data": {"source": "toy", "resolution": 16}})
    run_data_stage(StageContext(cfg=cfg, run_dir=tmp_path, name="data"))
    data = RealData.load(tmp_path / "data")
    assert len(data.manifest) == 80 and set(data.manifest["split"]) == {"train", "holdout", "val", "test"}
    per_patient = data.manifest.groupby("patient_id")["split"].nunique()
    assert (per_patient == 1).all()  # the splits are by patient for the new source too
    train = data.split("train")
    assert len(train) > 0 and train.images[:].shape[1:] == (1, 16, 16)
