"""The data stage's outputs and RealDataModule batches (diagnosis and identity targets)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from lightning_privgan.data.image_dataset import ImageDataset, reseed_worker_transform
from lightning_privgan.data.real_datamodule import RealDataModule
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


def test_diagnosis_batches_shape_range_and_targets(real):
    cfg, _, data = real
    transform = build_train_transform(cfg.data.augment, 1, seed=0)
    dm = RealDataModule(data, batch_size=8, train_transform=transform, seed=0)
    for loader in (dm.train_dataloader(), dm.val_dataloader(), dm.test_dataloader(), dm.holdout_dataloader()):
        images, targets = next(iter(loader))
        assert images.dtype == torch.float32 and images.shape[1:] == (1, 32, 32)
        assert images.min() >= -1 and images.max() <= 1
        assert targets.dtype == torch.long and set(targets.tolist()) <= {0, 1}
    assert dm.num_classes == 2
    assert int(dm.class_counts("train").sum()) == len(data.split("train"))


def test_train_loader_is_reproducible_from_seeds(real):
    cfg, _, data = real

    def first_batch():
        transform = build_train_transform(cfg.data.augment, 1, seed=3)
        return next(iter(RealDataModule(data, batch_size=8, train_transform=transform, seed=4).train_dataloader()))

    (a, ya), (b, yb) = first_batch(), first_batch()
    assert torch.equal(a, b) and torch.equal(ya, yb)


def test_identity_targets_and_identity_val_carve_out(real):
    _, _, data = real
    dm = RealDataModule(data, batch_size=8, label_kind="identity", seed=0)
    identities = data.train_identities()
    assert dm.num_classes == len(identities)
    train, val = dm.dataset_for("train"), dm.dataset_for("val")
    # 3 scans per patient: one of each train patient's scans validates, two train
    assert len(val) == len(identities) and len(train) == 2 * len(identities)
    assert sorted(val.targets.tolist()) == list(range(len(identities)))
    assert torch.bincount(train.targets).tolist() == [2] * len(identities)
    assert (dm.dataset_for("holdout").targets == -1).all()
    _, targets = next(iter(dm.train_dataloader()))
    assert targets.max() < len(identities)


def test_identity_val_falls_back_to_augmented_train_when_one_scan_each(cpu_cfg, tmp_path):
    cfg = cpu_cfg({"data": {"phantom": {"num_patients": 30, "scans_per_patient": 1}}})
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="data")
    STAGE.run(ctx)
    data = RealData.load(ctx.out)
    transform = build_train_transform(cfg.data.augment, 1, seed=0, strength="identity")
    dm = RealDataModule(data, batch_size=4, label_kind="identity", train_transform=transform)
    val = dm.dataset_for("val")
    assert len(val) == len(dm.dataset_for("train")) == len(data.split("train"))
    assert val.transform is transform


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
