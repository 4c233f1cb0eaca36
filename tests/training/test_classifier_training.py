"""Metrics, class weights, the Lightning modules, the identity split and tiny runs of the three stages."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, IterableDataset

from lightning_privgan.data.classifier_datasets import AUGMENTED_VIEWS, HELDOUT_SCANS, split_identity_data
from lightning_privgan.data.real_store import RealData
from lightning_privgan.metrics.classification import diagnostic_metrics, evaluate_diagnostic, inverse_frequency_weights
from lightning_privgan.models.classifier_io import load_classifier, read_classifier_meta
from lightning_privgan.models.classifier_module import DiagnosticClassifierModule, IdentityClassifierModule
from lightning_privgan.models.components.cosine_head import CosineHead
from lightning_privgan.models.components.image_classifier import ImageClassifier
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages import auditor, class_guide as classifier, identity
from lightning_privgan.training.diagnostic_training import train_diagnostic

RES = 16


def tiny_real_data(num_patients=8, scans=3, channels=1, num_classes=2, seed=0) -> RealData:
    """Phantom-like data: each patient a fixed random pattern, each scan a noisy copy of it."""
    g = torch.Generator().manual_seed(seed)
    splits = ["train"] * (num_patients - 3) + ["holdout", "val", "test"]
    images, rows = [], []
    for p in range(num_patients):
        base = torch.rand(channels, RES, RES, generator=g)
        for s in range(scans):
            noisy = (base + 0.1 * torch.randn(channels, RES, RES, generator=g)).clamp(0, 1)
            images.append((noisy * 255).round().to(torch.uint8))
            rows.append({"index": len(rows), "path": f"p{p}_s{s}", "label": p % num_classes,
                         "patient_id": f"P{p:03d}", "split": splits[p]})
    return RealData(torch.stack(images), pd.DataFrame(rows), [f"c{i}" for i in range(num_classes)])


@pytest.fixture
def stage_ctx(cpu_cfg, tmp_path):
    def build(stage: str, data: RealData, section: dict):
        config_section = "classifier" if stage == "class_guide" else stage  # φ_class reads the classifier section
        cfg = cpu_cfg({config_section: {"backbone": "compact", "width": 8, "epochs": 2, "batch_size": 8, **section},
                       "data": {"resolution": RES, "num_classes": data.num_classes,
                                "class_names": data.class_names}})
        run_dir = tmp_path / "runs" / "test"
        data.save(run_dir / "data")
        return StageContext(cfg=cfg, run_dir=run_dir, name=stage)

    return build


def test_diagnostic_metrics_average_written_out_and_kappa_for_grades():
    assert set(diagnostic_metrics(2).keys()) == {"acc", "macro_acc", "auroc", "f1"}
    metrics = diagnostic_metrics(5, prefix="val/")
    assert set(metrics.keys()) == {"val/acc", "val/macro_acc", "val/auroc", "val/f1", "val/kappa"}
    labels = torch.tensor([0, 0, 0, 0, 1, 2, 3, 4])
    # Always predicting class 0: micro accuracy 0.5, macro accuracy 1/5, kappa 0.
    probs = F.one_hot(torch.zeros(8, dtype=torch.long), 5).float()
    out = metrics(probs, labels)
    assert out["val/acc"] == pytest.approx(0.5)
    assert out["val/macro_acc"] == pytest.approx(0.2)
    assert out["val/kappa"] == pytest.approx(0.0)
    metrics.reset()
    perfect = metrics(F.one_hot(labels, 5).float(), labels)
    assert perfect["val/kappa"] == pytest.approx(1.0) and perfect["val/auroc"] == pytest.approx(1.0)


def test_inverse_frequency_weights():
    w = inverse_frequency_weights(torch.tensor([0, 0, 0, 1]), 2)
    torch.testing.assert_close(w, torch.tensor([4 / 6, 2.0]))
    torch.testing.assert_close(inverse_frequency_weights(torch.tensor([0, 1, 2]), 3), torch.ones(3))
    with pytest.raises(ValueError, match=r"class\(es\) \[2\] have no training images"):
        inverse_frequency_weights(torch.tensor([0, 1]), 3)


def _net(num_classes: int, channels: int = 1, **extra) -> ImageClassifier:
    return ImageClassifier(backbone="compact", in_channels=channels, resolution=RES, num_classes=num_classes, width=8,
                           **extra)


def test_module_loss_uses_class_weights_and_rejects_unknown_monitor():
    module = DiagnosticClassifierModule(_net(2), lr=1e-3, weight_decay=1e-4, monitor="val/acc", class_weights=[0.25, 4.0])
    img, label = torch.rand(6, 1, RES, RES) * 2 - 1, torch.tensor([0, 0, 0, 1, 1, 0])
    module.log = lambda *a, **k: None  # no trainer attached
    loss = module.training_step((img, label), 0)
    expected = F.cross_entropy(module(img), label, weight=torch.tensor([0.25, 4.0]))
    torch.testing.assert_close(loss, expected)
    with pytest.raises(ValueError, match="monitor 'val/kappa' is not a metric of IdentityClassifierModule"):
        IdentityClassifierModule(_net(4), lr=1e-3, weight_decay=1e-4, monitor="val/kappa")


@pytest.mark.parametrize("module_cls,head", [(DiagnosticClassifierModule, "linear"), (IdentityClassifierModule, "cosine")])
@pytest.mark.parametrize("channels", [1, 3])
def test_gradient_flows_to_input_through_modules(module_cls, head, channels):
    module = module_cls(_net(5, channels, head=head), lr=1e-3, weight_decay=1e-4, monitor="val/acc").eval()
    img = (torch.rand(2, channels, RES, RES) * 2 - 1).requires_grad_()
    F.cross_entropy(module(img), torch.tensor([1, 3])).backward()
    assert img.grad.abs().sum() > 0


def test_identity_split_holds_out_one_unseen_scan_per_patient():
    data = tiny_real_data(num_patients=8, scans=3)
    train = data.split("train")
    split = split_identity_data(train, data.train_identities(), seed=1)
    assert split.protocol == HELDOUT_SCANS
    assert sorted(split.val_labels.tolist()) == list(range(5))  # one scan of each training patient
    assert len(split.train_labels) == 10
    held = set(split.heldout_rows)
    assert held and held.isdisjoint(set(train.rows) - held)
    assert len(held) == 5 and held <= set(train.rows.tolist())


def test_identity_split_uses_augmented_views_without_repeat_scans(cpu_cfg):
    from lightning_privgan.data.transforms import build_train_transform

    data = tiny_real_data(num_patients=8, scans=1)
    train = data.split("train")
    views = build_train_transform(cpu_cfg().data.augment, 1, seed=3, strength="identity", ignore_enabled=True)
    split = split_identity_data(train, data.train_identities(), seed=1, view_transform=views)
    assert split.protocol == AUGMENTED_VIEWS and len(split.train_labels) == len(split.val_labels) == 5
    assert not torch.equal(split.val_images, split.train_images[:])  # views differ from the (lazy) training images
    with pytest.raises(ValueError, match="augmented-view validation needs an augmentation pipeline"):
        split_identity_data(train, data.train_identities(), seed=1, view_transform=None)


@pytest.mark.parametrize("stage_module,section", [(identity, "identity"), (auditor, "auditor")])
def test_identity_stage_writes_model_identities_and_reid(stage_ctx, stage_module, section):
    data = tiny_real_data(channels=3 if section == "auditor" else 1, scans=3)
    ctx = stage_ctx(section, data, {"augment": "identity"})
    stage_module.STAGE.run(ctx)
    metrics = json.loads((ctx.out / "metrics.json").read_text())
    assert metrics["val_protocol"] == HELDOUT_SCANS and metrics["num_identities"] == 5
    assert 0.0 <= metrics["reid_top1"] <= 1.0 and metrics["num_val_images"] == 5
    identities = json.loads((ctx.out / "identities.json").read_text())["identities"]
    assert identities == data.train_identities()
    net = load_classifier(ctx.out / "model.pt")
    assert isinstance(net.head, CosineHead)  # the identity networks' default head survives export
    assert net.num_classes == 5 and read_classifier_meta(ctx.out / "model.pt")["identities"] == identities
    assert (ctx.out / "checkpoints" / "last.ckpt").exists()
    stage_module.STAGE.run(ctx)  # a second run resumes from last.ckpt (already at max_epochs) and rewrites outputs


def test_classifier_stage_reports_val_and_test_with_kappa(stage_ctx):
    data = tiny_real_data(num_patients=13, scans=2, num_classes=5)
    data.manifest["split"] = ["train"] * 16 + ["val"] * 5 + ["test"] * 5
    data.manifest["label"] = list(range(5)) * 5 + [0]
    ctx = stage_ctx("class_guide", data, {"monitor": "val/macro_acc"})
    classifier.STAGE.run(ctx)
    metrics = json.loads((ctx.out / "metrics.json").read_text())
    assert set(metrics["test"]) == {"acc", "macro_acc", "auroc", "f1", "kappa", "n"}
    assert metrics["test"]["n"] == 5 and metrics["val"]["n"] == 5
    assert load_classifier(ctx.out / "model.pt").num_classes == 5


class EndlessishStream(IterableDataset):
    """Stands in for the walker's synthetic stream: no __len__, no label table."""

    def __iter__(self):
        g = torch.Generator().manual_seed(0)
        for _ in range(3):
            yield torch.rand(4, 1, RES, RES, generator=g) * 2 - 1, torch.randint(0, 2, (4,), generator=g)


def test_train_diagnostic_accepts_a_synthetic_stream(stage_ctx):
    data = tiny_real_data()
    classifier_ctx = stage_ctx("class_guide", data, {"monitor": "val/auroc"})
    ctx = StageContext(cfg=classifier_ctx.cfg, run_dir=classifier_ctx.run_dir, name="downstream")
    cfg = ctx.cfg.classifier
    val = data.split("val")
    val_loader = DataLoader(list(zip(val.images, val.labels)), batch_size=4)
    net, best = train_diagnostic(ctx, DataLoader(EndlessishStream(), batch_size=None), val_loader, cfg,
                                 num_classes=2, channels=1, resolution=RES, subdir="plan")
    assert best.exists() and best.parent == ctx.out / "plan" / "checkpoints"
    figures = evaluate_diagnostic(net, val.images, val.labels, num_classes=2)
    assert set(figures) == {"acc", "macro_acc", "auroc", "f1", "n"}


def test_classifier_stage_reads_and_forwards_no_more_than_one_batch_at_a_time(stage_ctx, monkeypatch):
    """Peak memory of φ_class's stage must not follow the data set: every read of the image
    store and every forward pass (training, validation, the val/test figures) holds at most
    classifier.batch_size images, here with val and test splits 2.5x that size."""
    from lightning_privgan.data.image_store import LazyImages

    data = tiny_real_data(num_patients=30, scans=2, num_classes=2)
    data.manifest["split"] = ["train"] * 20 + ["val"] * 20 + ["test"] * 20
    data.manifest["label"] = [0, 1] * 30
    read_rows, forward_rows = [], []
    uint8, forward = LazyImages.uint8, ImageClassifier.forward
    monkeypatch.setattr(LazyImages, "uint8", lambda self, index: read_rows.append(len(np.atleast_1d(
        self.rows[index]))) or uint8(self, index))
    monkeypatch.setattr(ImageClassifier, "forward", lambda self, x: forward_rows.append(len(x)) or forward(self, x))
    ctx = stage_ctx("class_guide", data, {"batch_size": 8, "epochs": 1})
    classifier.STAGE.run(ctx)
    assert json.loads((ctx.out / "metrics.json").read_text())["test"]["n"] == 20
    assert read_rows and forward_rows  # the hooks saw the stage's data path
    assert max(read_rows) <= 8 and max(forward_rows) <= 8, (max(read_rows), max(forward_rows))
