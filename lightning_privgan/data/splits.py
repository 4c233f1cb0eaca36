"""Patient-level, label-stratified, seeded assignment of train / holdout / val / test.

Splitting by patient (never by image) is what makes the membership-inference audit
honest: a holdout patient's scans were never seen by any model, not even as a sibling scan.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .errors import DataError
from .real_store import SPLITS


def patient_labels(table: pd.DataFrame) -> pd.Series:
    """One label per patient: the maximum over its scans.

    The maximum (not the majority) because labels are disease status / ordinal DR grade:
    a patient with any diseased scan is a diseased patient.
    """
    return table.groupby("patient_id", sort=True)["label"].max()


def interleaved_splits(n: int, fractions: np.ndarray) -> np.ndarray:
    """A sequence of n split indices whose every prefix is as close as possible to `fractions`.

    Each position goes to the split furthest behind its quota (a Bresenham-like
    interleaving). Walking it along patients sorted by label gives every class, being a
    contiguous block, its share of every split to within about one patient, and the
    totals exactly: small data sets still get a non-empty val split.
    """
    taken = np.zeros(len(fractions))
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        pick = int(np.argmax((i + 1) * fractions - taken))
        out[i] = pick
        taken[pick] += 1
    return out


def _official_split_per_patient(table: pd.DataFrame) -> pd.Series:
    official = table[table["official_split"] != ""]
    per_patient = official.groupby("patient_id")["official_split"].unique()
    clashing = per_patient[per_patient.map(len) > 1]
    if len(clashing):
        pid = clashing.index[0]
        raise DataError(
            f"patient {pid!r} appears in several official splits ({', '.join(clashing.iloc[0])}); "
            "a patient must stay within one split"
        )
    return per_patient.map(lambda values: values[0])


def assign_splits(
    table: pd.DataFrame,
    fractions: Mapping[str, float],
    seed: int,
    keep_official: bool,
) -> pd.Series:
    """The split of every row of `table` (columns patient_id, label, official_split).

    With `keep_official`, patients in a data set's official split stay there; the other
    patients are shared among the splits that have no official rows, with the configured
    fractions renormalised over those splits. Raises DataError for an empty split.
    """
    table = table.copy()
    if "official_split" not in table or not keep_official:
        table["official_split"] = ""
    table["official_split"] = table["official_split"].fillna("").astype(str)
    unknown = set(table["official_split"]) - set(SPLITS) - {""}
    if unknown:
        raise DataError(f"unknown split name(s) {sorted(unknown)} in the data; splits are {SPLITS}")

    official = _official_split_per_patient(table)
    labels = patient_labels(table)
    pool = labels.drop(index=official.index)
    open_splits = [s for s in SPLITS if s not in set(official.values) and fractions[s] > 0]
    if len(pool) and not open_splits:
        raise DataError(
            f"{len(pool)} patients have no official split, but every split with a non-zero fraction is official"
        )

    assigned = dict(official.items())
    if len(pool):
        fracs = np.array([fractions[s] for s in open_splits], dtype=float)
        fracs /= fracs.sum()
        rng = np.random.default_rng(seed)
        ordered = []
        for _, group in pool.groupby(pool, sort=True):  # stratify: label blocks
            patients = np.array(sorted(group.index))  # sorted: independent of file order
            ordered.extend(patients[rng.permutation(len(patients))])
        sequence = interleaved_splits(len(ordered), fracs)
        assigned.update({pid: open_splits[k] for pid, k in zip(ordered, sequence)})

    split_of_row = table["patient_id"].map(assigned)
    wanted = [s for s in SPLITS if fractions[s] > 0 or s in set(official.values)]
    for split in wanted:
        if not (split_of_row == split).any():
            raise DataError(
                f"split {split!r} is empty: {labels.size} patients are too few for the fractions "
                f"{dict(fractions)}; add data or change data.splits"
            )
    return split_of_row.rename("split")
