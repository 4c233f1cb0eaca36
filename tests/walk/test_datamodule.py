"""WalkerDataModule: tickets, determinism, cache vs fresh, the privacy gate, Trainer.fit."""
from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch
from omegaconf import OmegaConf
from torch.utils.data import TensorDataset

from lightning_privgan.config.sections.walk import WalkConfig
from lightning_privgan.walk.datamodule import WalkerDataModule
from lightning_privgan.walk.gate import PrivacyGate
from lightning_privgan.walk.stream_sharding import BatchTickets, pair_shard
from tests.helpers.fake_networks import TinyDiagnosticModule, fake_trio, single_thread  # noqa: F401
from tests.helpers.walk_datamodule import WALK, make_dm, stream_cfg

pytestmark = pytest.mark.usefixtures("single_thread")


def _all_batches(dm, epoch=0):
    dm.setup("fit")
    return [dm.make_batch(t, epoch) for t in dm.train_dataloader()]


def test_shards_are_disjoint_and_cover_every_pair():
    shards = [pair_shard(10, r, 2, k, 2) for r in range(2) for k in range(2)]
    flat = [i for s in shards for i in s]
    assert sorted(flat) == list(range(10))
    with pytest.raises(ValueError, match="3 pairs cannot be shared among 2 ranks x 2 workers"):
        pair_shard(3, 0, 2, 0, 2)


def test_tickets_count_is_per_rank_and_share_pairs_evenly():
    tickets = list(BatchTickets(num_pairs=5, num_batches=10, pairs_per_batch=2))
    assert [t["index"] for t in tickets] == list(range(10))
    batches = [t["pairs"].tolist() for t in tickets]
    assert all(len(set(b)) == 2 for b in batches)  # distinct pairs in a batch, even across a pass boundary
    counts = torch.bincount(torch.tensor(batches).flatten(), minlength=5)
    assert counts.tolist() == [4] * 5  # 20 slots over 5 pairs: each pair exactly 4 times


def test_tickets_reshuffle_between_epochs_and_repeat_for_one_seed():
    a, b = BatchTickets(num_pairs=12, num_batches=6, pairs_per_batch=3, seed=1), \
        BatchTickets(num_pairs=12, num_batches=6, pairs_per_batch=3, seed=1)
    first, second = [t["pairs"].tolist() for t in a], [t["pairs"].tolist() for t in a]
    assert first != second  # a new epoch groups the paths differently
    assert first == [t["pairs"].tolist() for t in b]  # and the same seed gives the same epochs


def test_default_stream_batch_mixes_many_paths():
    """The old stream drew every batch of 64 from 8 paths (stream.pairs_per_batch: 8)."""
    from lightning_privgan.walk.stream_sharding import distinct_pairs_per_batch

    dm = make_dm(method="linear", pairs_per_batch=None, batch_size=8)
    dm.setup("fit")
    tickets = list(dm.train_dataloader())
    assert distinct_pairs_per_batch(dm.cfg) == 8
    assert all(sorted(t["pairs"].tolist()) == list(range(6)) for t in tickets)  # all 6 pairs in every batch
    _, labels = dm.make_batch(tickets[0], 0)
    assert set(labels.tolist()) == {0, 1}  # both classes' paths in one batch
    fresh = stream_cfg(pairs_per_batch=None, refresh="fresh", batch_size=64)
    assert distinct_pairs_per_batch(fresh) == 8  # re-walking 64 paths per batch would be the cost, not the mix


def test_stream_is_deterministic_and_labels_follow_pairs():
    # Linear paths: this test is about sampling, not the walk.
    a, b = _all_batches(make_dm(seed=1, method="linear")), _all_batches(make_dm(seed=1, method="linear"))
    assert len(a) == 4 and all(x.shape == (8, 1, 16, 16) and y.shape == (8,) for x, y in a)
    assert all(torch.equal(xa, xb) and torch.equal(ya, yb) for (xa, ya), (xb, yb) in zip(a, b))
    other = _all_batches(make_dm(seed=2, method="linear"))
    assert not torch.equal(a[0][0], other[0][0])
    dm = make_dm(seed=1, method="linear")
    first_epoch, second_epoch = _all_batches(dm, 0), _all_batches(dm, 1)
    assert not torch.equal(first_epoch[0][0], second_epoch[0][0])  # new sampling points each epoch


def test_cache_reuses_paths_and_precomputed_paths_skip_the_walk():
    dm = make_dm()
    _all_batches(dm)
    assert sorted(dm._cache) == list(range(6))
    cached = {i: p.clone() for i, p in dm._cache.items()}
    _all_batches(dm, 1)
    assert all(torch.equal(cached[i], dm._cache[i]) for i in cached)
    given = torch.stack([cached[i] for i in range(6)])
    dm_given = make_dm(paths=given)
    dm_given.id_net = dm_given.class_net = None  # would fail if anything were walked
    assert torch.equal(_all_batches(dm_given)[0][0], _all_batches(make_dm())[0][0])


def test_privacy_gate_rejects_near_copies_and_refills_the_batch():
    images, _ = _all_batches(make_dm(method="linear"))[0]
    auditor = fake_trio(seed=3)[1]
    gate = PrivacyGate(auditor, real_images=images[:4], threshold=1e-4)
    assert (gate.nearest_real_distance(images[:4]) < 1e-5).all()
    dm_gated = make_dm(gate=gate, method="linear")
    batches = _all_batches(dm_gated)
    assert all(len(x) == 8 for x, _ in batches) and dm_gated.rejected >= 4
    too_strict = make_dm(gate=PrivacyGate(auditor, images, threshold=3.0), method="linear")
    with pytest.raises(RuntimeError, match=r"rejected (\d+) of the \1 linear samples drawn .*threshold \(3, auditor"):
        _all_batches(too_strict)


def test_trainer_fit_trains_a_module_on_the_stream(tmp_path):
    dm = make_dm(refresh="fresh")
    dm.val_dataset = TensorDataset(torch.rand(8, 1, 16, 16) * 2 - 1, torch.randint(0, 2, (8,)))
    module = TinyDiagnosticModule()
    before = [p.clone() for p in module.parameters()]
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=2, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path)
    trainer.fit(module, datamodule=dm)
    assert len(module.seen_batches) == 8 and dm.batches_made == 8
    assert all(x.shape == (8, 1, 16, 16) and x.abs().max() <= 1 for x, _ in module.seen_batches)
    assert any(not torch.equal(b, p) for b, p in zip(before, module.parameters()))
