"""Equal training for every downstream source: steps, batch size, augmentation, class weights."""
from __future__ import annotations

import pytest
import torch
from rich.console import Console

from lightning_privgan.data.cycling_sampler import CyclingSampler
from lightning_privgan.data.training_budget import TrainingBudget, budget_loader, training_budget
from lightning_privgan.pipeline.stage import StageContext
from tests.helpers.fabricated_run import RES, fabricate_upstream


def test_cycling_sampler_balances_items_continues_across_epochs_and_repeats():
    s = CyclingSampler(7, 10, seed=3)
    epochs = []
    for e in range(7):  # 70 draws = 10 full passes over 7 items
        s.set_epoch(e)
        epochs.append(list(s))
    assert all(len(e) == 10 for e in epochs)
    assert torch.bincount(torch.tensor(epochs).flatten()).tolist() == [10] * 7
    again = CyclingSampler(7, 10, seed=3)
    again.set_epoch(4)
    assert list(again) == epochs[4]  # epoch e is a function of (seed, e): a resumed fit sees the same data
    plain = CyclingSampler(7, 10, seed=3)
    assert [list(plain) for _ in range(2)] == epochs[:2]  # a wrapper that never calls set_epoch still advances


def test_budget_defaults_to_the_streams_and_finite_sources_fill_it(cpu_cfg):
    cfg = cpu_cfg({"downstream": {"epochs": 4}, "stream": {"samples_per_epoch": 100}, "classifier": {"batch_size": 16}})
    budget = training_budget(cfg)
    assert (budget.steps, budget.batch_size, budget.steps_per_epoch, budget.images_seen) == (28, 16, 7, 448)
    assert training_budget(cpu_cfg({"downstream": {"steps": 12, "epochs": 3}})).steps_per_epoch == 4
    # 6 k-same anchors get as many full batches as the stream: before, one epoch was one batch of 6.
    data = torch.utils.data.TensorDataset(torch.arange(6), torch.arange(6))
    loader = budget_loader(data, TrainingBudget(8, 16, 2), num_workers=0, seed=0)
    batches = [b[0] for b in loader]
    assert len(loader) == 4 and [len(b) for b in batches] == [16] * 4


def test_steps_that_do_not_split_into_epochs_are_refused(cpu_cfg):
    import pytest

    with pytest.raises(Exception, match="downstream.steps.*not a multiple of downstream.epochs"):
        cpu_cfg({"downstream": {"steps": 10, "epochs": 3}})


def test_every_source_trains_the_same_steps_with_augmentation_and_class_weights(cpu_cfg, tmp_path, monkeypatch):
    """The downstream stage hands every source the same batches per epoch, batch size, augmentation
    and inverse-frequency weights (before: the stream 'epochs' of its own size, unaugmented, unweighted)."""
    from lightning_privgan.models.components.image_classifier import ImageClassifier
    from lightning_privgan.stages import downstream

    seen = {}

    def fake_train(ctx, train_loader, val_loader, cfg, num_classes, channels, resolution, subdir="",
                   class_weights=None, datamodule=None):
        source = subdir.split("/")[-1].rsplit("_", 1)[0]
        if datamodule is not None:
            datamodule.setup("fit")
            tickets = list(datamodule.train_dataloader())
            images, labels = datamodule.on_after_batch_transfer(tickets[0], 0)
            plain, _ = datamodule.make_batch(tickets[0], 0)
            seen[source] = dict(batches=len(tickets), batch=len(labels), weights=class_weights,
                                augmented=not torch.allclose(images, plain, atol=0.01), epochs=cfg.epochs)
        else:
            batches = list(train_loader)
            labels = train_loader.dataset.targets
            seen[source] = dict(batches=len(batches), batch=len(batches[0][1]), epochs=cfg.epochs,
                                weights=class_weights, dataset_labels=labels,
                                augmented=train_loader.dataset.transform is not None)
        return ImageClassifier("compact", 1, RES, num_classes, width=4).eval(), None

    monkeypatch.setattr(downstream, "train_diagnostic", fake_train)
    run_dir = tmp_path / "run"
    fabricate_upstream(run_dir)
    cfg = cpu_cfg({"data": {"resolution": RES}, "classifier": {"width": 4, "batch_size": 8},
                   "downstream": {"seeds": 1, "epochs": 2, "steps": 6}})
    downstream.run(StageContext(cfg, run_dir, "downstream", console=Console(quiet=True)))
    assert set(seen) == {"real", "linear", "plan", "ksame"}
    for source, s in seen.items():
        assert (s["batches"], s["batch"], s["epochs"]) == (3, 8, 2), source  # 6 steps = 2 rounds of 3 batches of 8
        assert s["augmented"], source
    # The stream is weighted by its walked pairs' labels (2 of class 0, 2 of class 1 -> equal weights).
    assert torch.allclose(seen["plan"]["weights"], torch.ones(2))
    # Finite sources: train_diagnostic derives inverse-frequency weights from the dataset's targets.
    assert seen["ksame"]["weights"] is None and len(seen["ksame"]["dataset_labels"]) == 6


@pytest.mark.parametrize("world", [2, 3])
def test_cycling_sampler_under_lightnings_ddp_wrapper_splits_each_epoch_over_the_ranks(world):
    """Under DDP Lightning wraps the sampler in DistributedSamplerWrapper: every rank must draw
    the same number of indices (unequal batch counts hang DDP), and the ranks' shares of an
    epoch together must be the single-process epoch, so the budget in images is the same."""
    from collections import Counter

    from lightning_fabric.utilities.distributed import DistributedSamplerWrapper

    ranks = [DistributedSamplerWrapper(CyclingSampler(10, 12, seed=3), num_replicas=world, rank=r, shuffle=False)
             for r in range(world)]
    alone = CyclingSampler(10, 12, seed=3)
    for epoch in range(3):
        shares = []
        for wrapper in ranks:
            wrapper.set_epoch(epoch)
            shares.append(list(wrapper))
        alone.set_epoch(epoch)
        assert len({len(s) for s in shares}) == 1, "ranks draw unequal counts: DDP would hang"
        assert Counter(i for s in shares for i in s) == Counter(alone), f"epoch {epoch}: shares != the single-process epoch"
