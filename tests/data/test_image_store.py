"""The data stage's lazily read image store: round trip, views, old run folders, chunked
phantoms, and readers that fetch only the rows they are handed."""
from __future__ import annotations

import gc
import pickle
import re
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader, DistributedSampler

from lightning_privgan.data import image_store
from lightning_privgan.data.classifier_datasets import split_identity_data
from lightning_privgan.data.errors import DataError
from lightning_privgan.data.image_dataset import ImageDataset
from lightning_privgan.data.image_store import ImageStore, ImageStoreWriter, LazyImages, to_model_range
from lightning_privgan.data.phantoms.cxr import make_cxr_phantoms
from lightning_privgan.data.real_store import RealData
from lightning_privgan.data.sources import load_source, phantom as phantom_source
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages.data import run_data_stage


def _images(n=23, c=3, h=5, w=4, seed=0) -> torch.Tensor:
    return torch.randint(0, 256, (n, c, h, w), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def _store(tmp_path, images) -> ImageStore:
    with ImageStoreWriter(tmp_path / "store", tuple(images.shape[1:])) as writer:
        for start in range(0, len(images), 7):  # uneven chunks
            writer.append(images[start:start + 7])
        return writer.close()


def test_store_round_trip_any_rows_and_after_pickling(tmp_path):
    images = _images()
    store = _store(tmp_path, images)
    assert len(store) == 23 and store.shape == (23, 3, 5, 4)
    rows = [5, 6, 7, 0, 22, 5, 11]  # runs, jumps, repeats
    assert torch.equal(store.read(rows), images[rows])
    assert torch.equal(pickle.loads(pickle.dumps(store)).read(rows), images[rows])  # a worker's own descriptor
    assert store.read([]).shape == (0, 3, 5, 4)
    with pytest.raises(IndexError, match="outside the store's 0..22"):
        store.read([23])
    assert not list((tmp_path / "store").glob("*.tmp"))


def test_store_refuses_a_truncated_file_or_wrong_chunk(tmp_path):
    store = _store(tmp_path, _images())
    with pytest.raises(ValueError, match=r"uint8 \[k, 3, 5, 4\]"):
        ImageStoreWriter(tmp_path / "other", (3, 5, 4)).append(torch.zeros(2, 1, 5, 4, dtype=torch.uint8))
    data = store.folder / image_store.DATA_FILE
    data.write_bytes(data.read_bytes()[:-10])
    with pytest.raises(ValueError, match="the header promises 23 images"):
        ImageStore(store.folder)


@pytest.mark.parametrize("damage", ["truncated data", "truncated header", "no data file"])
def test_a_damaged_store_is_one_clear_error_naming_its_file_and_nothing_from_del(tmp_path, monkeypatch, damage):
    store = _store(tmp_path, _images())
    data, header = store.folder / image_store.DATA_FILE, store.folder / image_store.HEADER_FILE
    del store
    if damage == "truncated data":
        data.write_bytes(data.read_bytes()[:-10])
    elif damage == "truncated header":
        header.write_text(header.read_text()[:20])
    else:
        data.unlink()
    ignored = []  # what Python reports as "Exception ignored in: ImageStore.__del__"
    monkeypatch.setattr(sys, "unraisablehook", lambda report: ignored.append(report.exc_value))
    named = data if damage != "truncated header" else header
    with pytest.raises(DataError, match=re.escape(str(named)) + r".*re-run the data stage") as err:
        ImageStore(tmp_path / "store")
    del err  # drop the traceback's frames, and with them the half-built store
    gc.collect()
    assert ignored == []


def test_failed_write_leaves_no_store(tmp_path):
    with pytest.raises(RuntimeError):
        with ImageStoreWriter(tmp_path / "s", (1, 2, 2)) as writer:
            writer.append(torch.zeros(3, 1, 2, 2, dtype=torch.uint8))
            raise RuntimeError("decoding failed")
    assert list((tmp_path / "s").iterdir()) == []


def test_lazy_images_index_like_a_float_tensor(tmp_path):
    images = _images()
    rows = np.array([20, 3, 4, 5, 9])
    lazy = LazyImages(_store(tmp_path, images), rows)
    full = to_model_range(images[rows])
    assert lazy.shape == full.shape and len(lazy) == 5
    assert torch.equal(lazy[1], full[1]) and torch.equal(lazy[1:4], full[1:4])
    mask = torch.tensor([True, False, True, False, True])
    assert torch.equal(lazy[mask], full[mask]) and torch.equal(lazy[torch.tensor([4, 0])], full[[4, 0]])
    sub = lazy.subset(mask)
    assert isinstance(sub, LazyImages) and torch.equal(sub.materialize(), full[mask])
    assert torch.equal(lazy.uint8(0), images[20]) and torch.equal(torch.cat(list(lazy.batches(2))), full)


def test_data_stage_writes_a_store_and_splits_are_lazy(cpu_cfg, tmp_path):
    cfg = cpu_cfg({"data": {"phantom": {"num_patients": 12, "scans_per_patient": 2}}})
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="data")
    run_data_stage(ctx)
    assert (ctx.out / "images.u8").is_file() and (ctx.out / "images.json").is_file()
    assert not (ctx.out / "images.pt").exists()
    data = RealData.load(ctx.out)
    assert isinstance(data.images, ImageStore) and data.images.shape == (24, 1, 32, 32)
    # one chunk: exactly the images one call of the phantom generator makes
    made = make_cxr_phantoms(12, 2, 0.5, 32, ctx.seed("source"))
    assert torch.equal(data.images.read(range(24)), made.images)
    train = data.split("train")
    assert isinstance(train.images, LazyImages)
    assert torch.equal(train.images[:], to_model_range(made.images[train.rows]))
    split = split_identity_data(train, data.train_identities(), seed=0)
    assert isinstance(split.train_images, LazyImages) and isinstance(split.val_images, LazyImages)


def test_a_data_folder_without_the_image_store_says_so(tmp_path):
    """images.pt (the format before the lazy store, never released) is not read: the store is missing."""
    images = _images(4, 1, 8, 8)
    manifest = pd.DataFrame({"index": range(4), "path": list("abcd"), "label": [0, 1, 0, 1],
                             "patient_id": list("ABCD"), "split": ["train"] * 4})
    RealData(images, manifest, ["x", "y"]).save(tmp_path / "new")
    (tmp_path / "old").mkdir()
    for name in ("manifest.csv", "classes.json"):
        (tmp_path / "old" / name).write_bytes((tmp_path / "new" / name).read_bytes())
    torch.save(images, tmp_path / "old" / "images.pt")
    with pytest.raises(FileNotFoundError, match="images.json is missing; run the 'data' stage"):
        RealData.load(tmp_path / "old")

def test_large_phantom_sets_are_generated_in_chunks_of_patients(cpu_cfg, tmp_path, monkeypatch):
    cfg = cpu_cfg({"data": {"resolution": 16, "phantom": {"num_patients": 10, "scans_per_patient": 2}}})
    whole = load_source(cfg.data, seed=7).write_images(tmp_path / "whole")
    monkeypatch.setattr(phantom_source, "CHUNK_BYTES", 4 * 2 * 3 * 16 * 16 * 4)  # 4 patients a chunk
    chunked = load_source(cfg.data, seed=7).write_images(tmp_path / "chunked")
    table = chunked.table
    assert len(table) == 20 and table["patient_id"].nunique() == 10
    assert table.groupby("patient_id")["label"].nunique().eq(1).all()
    # chunk 0 keeps the data seed: its rows equal the one-chunk set's first patients' generator output
    first = make_cxr_phantoms(4, 2, cfg.data.phantom.prevalence, 16, 7)
    assert torch.equal(chunked.images.read(range(8)), first.images)
    assert list(table["label"][:8]) == list(first.labels)
    assert not torch.equal(chunked.images.read(range(8, 16)), whole.images.read(range(8, 16)))
    # labels of later chunks come from a cheap low-resolution pass: they must match the images' chunk
    later = make_cxr_phantoms(4, 2, cfg.data.phantom.prevalence, 16, phantom_source.chunk_seed(7, 1))
    assert torch.equal(chunked.images.read(range(8, 16)), later.images)
    assert list(table["label"][8:16]) == list(later.labels)


class _CountingStore:
    def __init__(self, store):
        self.store, self.shape, self.rows_read = store, store.shape, []

    def __len__(self):
        return len(self.store)

    def read(self, rows):
        self.rows_read.extend(np.asarray(rows).reshape(-1).tolist())
        return self.store.read(rows)


def test_a_ddp_rank_reads_only_its_own_rows(tmp_path):
    images = _images(40, 1, 4, 4)
    counting = _CountingStore(_store(tmp_path, images))
    split_rows = np.arange(3, 35)
    dataset = ImageDataset(LazyImages(counting, split_rows), torch.zeros(len(split_rows), dtype=torch.long))
    sampler = DistributedSampler(dataset, num_replicas=4, rank=1, shuffle=True, seed=0)
    for _ in DataLoader(dataset, batch_size=4, sampler=sampler):
        pass
    assert sorted(counting.rows_read) == sorted(split_rows[list(sampler)].tolist())
    assert len(counting.rows_read) == len(split_rows) // 4


def test_saving_real_data_elsewhere_copies_the_store(tmp_path):
    images = _images(9, 1, 4, 4)
    manifest = pd.DataFrame({"index": range(9), "path": list("abcdefghi"), "label": [0, 1] * 4 + [0],
                             "patient_id": list("ABCDEFGHI"), "split": ["train"] * 9})
    RealData(images, manifest, ["x", "y"]).save(tmp_path / "one")
    loaded = RealData.load(tmp_path / "one")
    loaded.save(tmp_path / "two")
    assert torch.equal(RealData.load(tmp_path / "two").images.read(range(9)), images)
