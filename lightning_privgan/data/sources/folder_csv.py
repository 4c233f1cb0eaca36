"""Source `folder`: any data set described by a CSV (data.root) with columns
path,label[,patient_id][,split]. Relative paths are relative to the CSV's folder, and every
path must lie inside that folder unless data.allow_outside_root is true (a stray `../` must
not pull in another data set). A label is a class index (0..num_classes-1) or a name from
data.class_names. A missing patient_id makes every image its own patient; a split column is
kept as the data set's official split (blank cells are assigned by data.splits)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..manifest import SourceData
from .file_records import decode_records, require_file


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except ValueError:
        return False


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
    raw = table["path"].astype(str).tolist()
    paths = [Path(p) if Path(p).is_absolute() else csv.parent / p for p in raw]
    if not data_cfg.allow_outside_root:
        _check_inside_root(paths, raw, csv)
    own_patient = table["path"].astype(str)  # no patient id: every image is its own patient
    patients = table["patient_id"].fillna(own_patient).tolist() if "patient_id" in table else own_patient.tolist()
    splits = table["split"].fillna("").str.strip().tolist() if "split" in table else None
    labels = class_indices(table["label"], list(data_cfg.class_names))
    return decode_records(paths, labels, patients, data_cfg, official_splits=splits)
