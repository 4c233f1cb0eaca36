"""Source `folder`: any data set described by a CSV (data.root) with columns
path,label[,patient_id][,split]. Relative paths are relative to the CSV's folder; a
missing patient_id makes every image its own patient; a split column is kept as the
data set's official split (blank cells are assigned by data.splits)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..manifest import SourceData
from .file_records import decode_records, require_file


def build_folder(data_cfg, seed: int) -> SourceData:
    if not data_cfg.root:
        raise DataError("folder: data.root must name the manifest CSV")
    csv = require_file(Path(data_cfg.root).expanduser(), "folder")
    try:
        table = pd.read_csv(csv, dtype={"path": str, "patient_id": str, "split": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise DataError(f"folder: cannot parse {csv}: {err}") from None
    missing = [c for c in ("path", "label") if c not in table.columns]
    if missing:
        raise DataError(f"folder: {csv} lacks column(s) {missing} (has {list(table.columns)})")
    paths = [p if Path(p).is_absolute() else csv.parent / p for p in table["path"].astype(str)]
    own_patient = table["path"].astype(str)  # no patient id: every image is its own patient
    patients = table["patient_id"].fillna(own_patient).tolist() if "patient_id" in table else own_patient.tolist()
    splits = table["split"].fillna("").str.strip().tolist() if "split" in table else None
    return decode_records(paths, table["label"].tolist(), patients, data_cfg, official_splits=splits)
