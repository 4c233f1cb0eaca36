"""The data stage's outputs, the identity train/val split of φ_id and the auditor, and the image dataset."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from lightning_privgan.data.classifier_datasets import AUGMENTED_VIEWS, HELDOUT_SCANS, split_identity_data
from lightning_privgan.data.image_dataset import ImageDataset, reseed_worker_transform
from lightning_privgan.data.real_store import RealData
from lightning_privgan.data.transforms import build_train_transform
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages.data import STAGE


@pytest.fixture
def real(cpu_cfg, tmp_path):
    cfg = cpu_cfg()  # phantom_cxr, 24 patients x 3 scans, 32 px
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="data")
    STAGE.run(ctx)
    return cfg, ctx.out, RealData.load(ctx.out)


def test_stage_writes_a_loadable_split_data_set(real):
    cfg, out, data = real
    assert STAGE.name == "data" and STAGE.needs == () and STAGE.config_keys == ("data",)
    assert tuple(data.images.shape) == (72, 1, 32, 32) and data.class_names == ["normal", "disease"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["images"] == 72 and summary["patients"] == 24
    assert sum(s["patients"] for s in summary["splits"].values()) == 24
    assert summary["splits"]["train"]["images"] == len(data.split("train"))
    assert (data.manifest.groupby("patient_id")["split"].nunique() == 1).all()


def test_identity_split_holds_out_one_scan_per_training_patient(real):
    _, _, data = real
    identities = data.train_identities()
    split = split_identity_data(data.split("train"), identities, seed=0)
    # 3 scans per patient: one of each train patient's scans validates, two train
    assert split.protocol == HELDOUT_SCANS
    assert len(split.val_labels) == len(identities) and len(split.train_labels) == 2 * len(identities)
    assert sorted(split.val_labels.tolist()) == list(range(len(identities)))
    assert torch.bincount(split.train_labels).tolist() == [2] * len(identities)
    assert set(split.heldout_rows) <= set(data.split("train").rows.tolist())


def test_identity_val_falls_back_to_augmented_views_when_one_scan_each(cpu_cfg, tmp_path):
    cfg = cpu_cfg({"data": {"phantom": {"num_patients": 30, "scans_per_patient": 1}}})
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="data")
    STAGE.run(ctx)
    data = RealData.load(ctx.out)
    transform = build_train_transform(cfg.data.augment, 1, seed=0, strength="identity", ignore_enabled=True)
    train = data.split("train")
    split = split_identity_data(train, data.train_identities(), seed=0, view_transform=transform)
    assert split.protocol == AUGMENTED_VIEWS and split.heldout_rows == []
    assert len(split.val_labels) == len(split.train_labels) == len(train)
    assert not torch.equal(split.val_images, train.images[:])  # views, not the training images themselves
    with pytest.raises(ValueError, match="needs an augmentation pipeline"):
        split_identity_data(train, data.train_identities(), seed=0)


def test_each_worker_gets_its_own_augmentation_stream(cpu_cfg):
    image = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (1, 1, 24, 24), dtype=np.uint8))
    dataset = ImageDataset(image.repeat(4, 1, 1, 1), torch.zeros(4), build_train_transform(cpu_cfg().data.augment, 1, 0))
    loader = DataLoader(dataset, batch_size=1, num_workers=2, worker_init_fn=reseed_worker_transform,
                        generator=torch.Generator().manual_seed(0))
    first, second = [images for images, _ in loader][:2]  # item 0 from worker 0, item 1 from worker 1
    assert not torch.equal(first, second)


def test_image_dataset_stores_float_images_as_uint8():
    floats = torch.linspace(-1, 1, 2 * 16).reshape(2, 1, 4, 4)
    dataset = ImageDataset(floats, np.array([0, 1]))
    assert dataset.images.dtype == torch.uint8 and dataset.targets.dtype == torch.long
    image, target = dataset[1]
    assert torch.allclose(image, floats[1], atol=1 / 127.5) and target == 1
