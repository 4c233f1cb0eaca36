"""The paper's TB data set as the shared folder holds it (../shared/data/shenzhen128: 522
Shenzhen X-rays in the published CHNCXR_<id>_<label>.png naming): the experiment files load,
and the data stage decodes, labels and splits every image by patient. Skipped without the data."""
from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import REPO, SHARED_DATA
from lightning_privgan.stages.outputs import DataOutputs
from lightning_privgan.config.load import load_experiment
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.stages import load_stages

SHENZHEN = SHARED_DATA / "shenzhen128"


@pytest.fixture
def shenzhen() -> Path:
    if not SHENZHEN.is_dir():
        pytest.skip(f"the Shenzhen images are not at {SHENZHEN}")
    return SHENZHEN


def experiment(name: str, root: Path, tmp_path: Path, *overrides: str):
    return load_experiment(REPO / "experiments" / name, [f"data.root={root}", f"runs_root={tmp_path}", *overrides])


def test_the_data_stage_reads_every_shenzhen_image_and_splits_by_patient(shenzhen, tmp_path):
    cfg = experiment("shenzhen_cpu.yaml", shenzhen, tmp_path)
    Pipeline(cfg, load_stages(("data",)), console=Console(quiet=True)).run()
    data = DataOutputs(Path(cfg.runs_root) / cfg.name / "data").real()
    files = sorted(shenzhen.glob("CHNCXR_*.png"))
    assert len(data.manifest) == len(files) == 522
    # the label is the file name's last digit (0 normal, 1 tuberculosis), the patient its number
    expected = {f.name: int(f.stem[-1]) for f in files}
    got = {Path(p).name: int(label) for p, label in zip(data.manifest["path"], data.manifest["label"])}
    assert got == expected
    assert data.class_names == ["normal", "tuberculosis"]
    assert (data.channels, data.resolution) == (1, 32)
    splits = {name: set(data.split(name).patient_ids) for name in ("train", "holdout", "val", "test")}
    assert sum(len(s) for s in splits.values()) == data.manifest["patient_id"].nunique()
    names = list(splits)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not splits[a] & splits[b], f"patients shared by {a} and {b}"
    train = data.split("train")
    assert set(train.labels.tolist()) == {0, 1}
    image = train.images[:4]
    assert image.shape == (4, 1, 32, 32)
    assert -1.0 <= float(image.min()) < float(image.max()) <= 1.0


def test_the_gpu_experiment_reads_the_images_at_their_128_px(shenzhen, tmp_path):
    cfg = experiment("shenzhen128_gpu.yaml", shenzhen, tmp_path)
    assert cfg.data.resolution == 128
    Pipeline(cfg, load_stages(("data",)), console=Console(quiet=True)).run()
    data = DataOutputs(Path(cfg.runs_root) / cfg.name / "data").real()
    assert data.resolution == 128 and len(data.manifest) == 522
