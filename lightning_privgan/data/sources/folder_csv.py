"""Source `folder`: any data set described by a CSV (data.root) with columns
path,label[,patient_id][,split]. Relative paths are relative to the CSV's folder, and every
path must lie inside that folder unless data.allow_outside_root is true (a stray `../` must
not pull in another data set). A label is a class index (0..num_classes-1) or a name from
data.class_names. Without a patient_id column every image is its own patient; an empty cell in
that column is refused (a patient whose images lack their id could land in two splits) unless
data.allow_missing_patient_ids is true, which makes each such image its own patient and warns
with the count. A split column is kept as the data set's official split (blank cells are
assigned by data.splits)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError, show_some
from ..manifest import SourceData
from .file_records import decode_records, require_file


def _inside(path: Path, root: Path) -> bool:
    try:
        resolved = path.resolve()
    except (RuntimeError, OSError):  # a symlink loop (RuntimeError before Python 3.13): it points at
        return True  # no file anywhere, so it reads nothing outside; decoding names it as a bad image
    try:
        resolved.relative_to(root)
        return True
    except ValueError:
        return False


def _show_rows(rows) -> str:
    """Table row indices as the CSV's data rows, counted from 1 below the header."""
    return "data row(s) " + show_some(int(i) + 1 for i in rows) + ", counted from 1 below the header"


def _blank(column: pd.Series) -> pd.Series:
    return column.isna() | (column.astype(str).str.strip() == "")


def _patient_ids(table: pd.DataFrame, csv: Path, allow_missing: bool) -> tuple[list[str], dict[str, list[str]]]:
    """The patient id of every row, and the source note listing the rows that had none."""
    if "patient_id" not in table:  # no column: the CSV says the data set has no patient ids
        return table["path"].tolist(), {}
    missing = _blank(table["patient_id"])
    if not missing.any():
        return table["patient_id"].tolist(), {}
    if not allow_missing:
        raise DataError(f"folder: {int(missing.sum())} row(s) of {csv} have an empty patient_id ("
                        f"{_show_rows(table.index[missing])}: {show_some(table.loc[missing, 'path'])}): two images "
                        "of one patient could land in different splits; fill them in, or set "
                        "data.allow_missing_patient_ids=true to make each such image its own patient")
    patients = table["patient_id"].where(~missing, table["path"])  # each such image its own patient
    return patients.tolist(), {"missing_patient_ids": table.loc[missing, "path"].tolist()}


def _check_inside_root(paths: list[Path], raw: list[str], csv: Path) -> None:
    root = csv.parent.resolve()
    outside = [r for p, r in zip(paths, raw) if not _inside(p, root)]
    if outside:
        more = f" (and {len(outside) - 5} more)" if len(outside) > 5 else ""
        raise DataError(f"folder: {len(outside)} path(s) in {csv} lie outside its folder {root}: "
                        f"{', '.join(outside[:5])}{more}; move them under it or set data.allow_outside_root=true")


def class_indices(labels: pd.Series, class_names: list[str]) -> list:
    """Class names -> their index in data.class_names; anything else is left for
    manifest.validate_source to accept (an integer) or refuse (naming the file)."""
    index = {name: i for i, name in enumerate(class_names)}
    return [index.get(str(v).strip(), v) for v in labels]


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
    no_path = _blank(table["path"])
    if no_path.any():
        raise DataError(f"folder: {int(no_path.sum())} row(s) of {csv} have an empty path "
                        f"({_show_rows(table.index[no_path])}): every row must name its image file")
    table["path"] = table["path"].astype(str)
    raw = table["path"].tolist()
    paths = [Path(p) if Path(p).is_absolute() else csv.parent / p for p in raw]
    if not data_cfg.allow_outside_root:
        _check_inside_root(paths, raw, csv)
    patients, notes = _patient_ids(table, csv, bool(data_cfg.allow_missing_patient_ids))
    splits = table["split"].fillna("").str.strip().tolist() if "split" in table else None
    labels = class_indices(table["label"], list(data_cfg.class_names))
    return decode_records(paths, labels, patients, data_cfg, official_splits=splits, notes=notes)
