"""Patient-level, stratified, deterministic splits (data/splits.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lightning_privgan.data.errors import DataError
from lightning_privgan.data.splits import assign_splits, interleaved_splits

FRACTIONS = {"train": 0.6, "holdout": 0.15, "val": 0.1, "test": 0.15}


def _table(num_patients=80, scans=3, official=None, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, num_patients)
    rows = [(f"p{p}", int(labels[p])) for p in range(num_patients) for _ in range(scans)]
    table = pd.DataFrame(rows, columns=["patient_id", "label"])
    table["official_split"] = "" if official is None else official(table)
    return table.sample(frac=1, random_state=seed).reset_index(drop=True)  # file order is arbitrary


def test_no_patient_in_two_splits_and_every_split_used():
    table = _table()
    split = assign_splits(table, FRACTIONS, seed=1, keep_official=True)
    assert (table.assign(split=split).groupby("patient_id")["split"].nunique() == 1).all()
    assert set(split) == set(FRACTIONS)


def test_fractions_and_stratification_per_label():
    table = _table(num_patients=300, scans=1)
    split = assign_splits(table, FRACTIONS, seed=2, keep_official=True)
    for label, part in table.assign(split=split).groupby("label"):
        share = part["split"].value_counts(normalize=True)
        for name, frac in FRACTIONS.items():
            assert abs(share[name] - frac) < 0.02, (label, name, share[name])


def test_deterministic_from_seed_and_independent_of_row_order():
    table = _table()
    a = assign_splits(table, FRACTIONS, seed=5, keep_official=True)
    shuffled = table.sample(frac=1, random_state=9)
    b = assign_splits(shuffled, FRACTIONS, seed=5, keep_official=True)
    per_patient = lambda t, s: t.assign(s=s).groupby("patient_id")["s"].first()  # noqa: E731
    assert (per_patient(table, a) == per_patient(shuffled, b)).all()
    c = assign_splits(table, FRACTIONS, seed=6, keep_official=True)
    assert not (a == c).all()


def test_official_test_split_kept_and_rest_renormalised():
    official = lambda t: np.where(t["patient_id"].str[1:].astype(int) % 5 == 0, "test", "")  # noqa: E731
    table = _table(num_patients=400, scans=1, official=official)
    split = assign_splits(table, FRACTIONS, seed=3, keep_official=True)
    assert (split[table["official_split"] == "test"] == "test").all()
    assert (split[table["official_split"] == ""] != "test").all()
    rest = split[table["official_split"] == ""].value_counts(normalize=True)
    assert abs(rest["train"] - 0.6 / 0.85) < 0.03 and abs(rest["holdout"] - 0.15 / 0.85) < 0.03

    ignored = assign_splits(table, FRACTIONS, seed=3, keep_official=False)
    assert (ignored[table["official_split"] == "test"] != "test").any()


def test_patient_in_two_official_splits_is_an_error():
    table = pd.DataFrame({"patient_id": ["a", "a", "b"], "label": [0, 0, 1], "official_split": ["test", "val", ""]})
    with pytest.raises(DataError, match="'a'.*several official splits"):
        assign_splits(table, FRACTIONS, seed=0, keep_official=True)


def test_empty_split_is_an_error():
    table = _table(num_patients=3, scans=2)
    with pytest.raises(DataError, match="split '.*' is empty"):
        assign_splits(table, FRACTIONS, seed=0, keep_official=True)


def test_interleaving_keeps_every_prefix_near_its_quota():
    fractions = np.array([0.6, 0.15, 0.1, 0.15])
    seq = interleaved_splits(200, fractions)
    for end in (10, 37, 200):
        counts = np.bincount(seq[:end], minlength=4)
        assert np.all(np.abs(counts - end * fractions) <= 1.0), (end, counts)


def test_small_data_set_still_fills_every_split():
    table = _table(num_patients=12, scans=1)
    assert set(assign_splits(table, FRACTIONS, seed=0, keep_official=True)) == set(FRACTIONS)
