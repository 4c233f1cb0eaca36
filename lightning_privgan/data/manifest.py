"""From a source's decoded images + table to the validated manifest the data stage saves.

Manifest columns (DESIGN.md, fixed): index (row of the image store, images.u8), path (file, or
"<npz>:<key>:<i>" for arrays), label, patient_id, split.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
import torch

from .errors import DataError
from .errors import show_some as _show
from .image_store import ImageStore, ImageStoreWriter, write_image_store
from .images import DecodedFiles
from .real_store import MANIFEST_COLUMNS
from .source_notes import merge_notes
from .splits import assign_splits

SOURCE_COLUMNS = ("path", "label", "patient_id", "official_split")


@dataclass
class ImageChunks:
    """Images a source hands out chunk by chunk (decoded files, generated phantoms), so that
    the data stage writes them to its store without ever holding the whole set. Each chunk
    covers the next rows of the source table: `kept` marks the rows whose image is in
    `images` (False for files skipped under on_bad_image=skip, listed in `bad`)."""

    shape: tuple[int, int, int]  # C, H, W
    chunks: Callable[[], Iterator[DecodedFiles]]


@dataclass
class SourceData:
    """What every source builder returns: images and one table row per image."""

    images: torch.Tensor | ImageChunks | ImageStore  # uint8 [N, C, H, W], produced lazily, or stored
    table: pd.DataFrame  # SOURCE_COLUMNS; official_split is "" where the data set has none
    bad_images: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) skipped
    notes: dict[str, list[str]] = field(default_factory=dict)  # kind (source_notes.NOTE_TEXT) -> files

    def write_images(self, folder: str | Path) -> "SourceData":
        """Write the images to an image store in `folder` (one chunk in memory at a time) and
        return the source with that store, the table of the images kept and every skipped file."""
        images = self.images
        if isinstance(images, ImageStore):
            return self
        if isinstance(images, torch.Tensor):  # built in memory: every row is kept
            if images.dtype != torch.uint8 or images.ndim != 4:
                raise DataError(f"source images must be uint8 [N, C, H, W], got {images.dtype} {tuple(images.shape)}")
            if len(images) != len(self.table):
                raise DataError(f"the source produced images for {len(images)} of its {len(self.table)} table rows")
            return SourceData(images=write_image_store(folder, images), table=self.table.reset_index(drop=True),
                              bad_images=list(self.bad_images), notes=merge_notes(self.notes))
        kept, bad, notes = [], list(self.bad_images), merge_notes(self.notes)
        with ImageStoreWriter(folder, images.shape) as writer:
            for part in images.chunks():
                writer.append(part.images)
                kept.append(part.kept)
                bad.extend(part.bad)
                notes = merge_notes(notes, part.notes)
            store = writer.close()
        kept_rows = np.concatenate(kept) if kept else np.zeros(0, bool)
        if len(kept_rows) != len(self.table):
            raise DataError(f"the source produced images for {len(kept_rows)} of its {len(self.table)} table rows")
        return SourceData(images=store, table=self.table[kept_rows].reset_index(drop=True), bad_images=bad, notes=notes)


def source_table(paths, labels, patient_ids, official_splits=None) -> pd.DataFrame:
    """A source table with the canonical columns and dtypes."""
    n = len(paths)
    return pd.DataFrame(
        {
            "path": pd.Series(paths, dtype=str),
            "label": pd.Series(labels).to_numpy(),
            "patient_id": pd.Series(patient_ids, dtype=str),
            "official_split": pd.Series(official_splits if official_splits is not None else [""] * n, dtype=str),
        }
    )


def validate_source(source: SourceData, num_classes: int, class_names=None, names_as_labels: bool = False) -> None:
    """Clear errors for the mistakes real data sets contain; raises DataError. `names_as_labels`:
    the source takes class names as labels (folder), which the error for a bad label then says."""
    table, images = source.table, source.images
    missing = [c for c in SOURCE_COLUMNS if c not in table]
    if missing:
        raise DataError(f"source table lacks column(s) {missing}")
    if isinstance(images, ImageChunks):
        raise DataError("source images are not decoded yet: call SourceData.write_images(folder) first")
    if len(table) != len(images):
        raise DataError(f"source has {len(table)} table rows but {len(images)} images")
    if len(table) == 0:
        raise DataError("the data set is empty: no image was found (or every image was skipped)")
    if isinstance(images, torch.Tensor) and (images.dtype != torch.uint8 or images.ndim != 4):
        raise DataError(f"source images must be uint8 [N, C, H, W], got {images.dtype} {tuple(images.shape)}")

    labels = pd.to_numeric(table["label"], errors="coerce")
    not_int = table.loc[labels.isna() | (labels != labels.round()), "path"]
    if len(not_int):
        names = f" or one of data.class_names ({', '.join(class_names)})" if class_names and names_as_labels else ""
        raise DataError(f"labels must be integers{names}; bad label for {_show(not_int)}")
    outside = table.loc[(labels < 0) | (labels >= num_classes), ["path", "label"]]
    if len(outside):
        rows = _show(f"{p} (label {int(l)})" for p, l in outside.itertuples(index=False))
        raise DataError(f"labels must lie in 0..{num_classes - 1} (data.num_classes={num_classes}); found {rows}")

    counts = labels.astype(int).value_counts()
    empty = [c for c in range(num_classes) if counts.get(c, 0) == 0]
    if empty:
        names = [f"{c} ({class_names[c]})" if class_names else str(c) for c in empty]
        raise DataError(f"class {_show(names)} has no image; check data.num_classes and the labels")

    duplicated = table.loc[table["path"].duplicated(), "path"]
    if len(duplicated):
        raise DataError(f"duplicate image ids: {_show(duplicated.unique())} listed more than once")
    blank = table.loc[table["patient_id"].str.strip() == "", "path"]
    if len(blank):
        raise DataError(f"empty patient_id for {_show(blank)}")


def build_manifest(source: SourceData, data_cfg, seed: int) -> pd.DataFrame:
    """Validate the source and assign patient-level splits; returns the manifest table."""
    validate_source(source, data_cfg.num_classes, list(data_cfg.class_names),
                    names_as_labels=data_cfg.source == "folder")
    table = source.table.reset_index(drop=True).copy()
    table["label"] = pd.to_numeric(table["label"]).astype(int)
    fractions = {name: float(data_cfg.splits[name]) for name in ("train", "holdout", "val", "test")}
    table["split"] = assign_splits(table, fractions, seed=seed, keep_official=bool(data_cfg.splits.keep_official))
    table["index"] = range(len(table))
    manifest = table.loc[:, list(MANIFEST_COLUMNS)]
    check_patients_disjoint(manifest)
    return manifest


def check_patients_disjoint(manifest: pd.DataFrame) -> None:
    splits_per_patient = manifest.groupby("patient_id")["split"].nunique()
    leaked = splits_per_patient[splits_per_patient > 1]
    if len(leaked):
        raise DataError(f"patients in more than one split: {_show(leaked.index)}")


def split_summary(manifest: pd.DataFrame, class_names: list[str]) -> dict:
    """Counts per split x class, and patients per split (summary.json of the data stage)."""
    summary: dict = {"images": int(len(manifest)), "patients": int(manifest["patient_id"].nunique()), "splits": {}}
    for split, part in manifest.groupby("split", sort=False):
        per_class = part["label"].value_counts()
        summary["splits"][split] = {
            "images": int(len(part)),
            "patients": int(part["patient_id"].nunique()),
            "per_class": {name: int(per_class.get(i, 0)) for i, name in enumerate(class_names)},
        }
    return summary
