"""Source `aptos`: APTOS 2019 blindness detection (train.csv with id_code,diagnosis;
images in train_images/<id_code>.png; DR grade 0-4). One patient per image: the set
publishes no patient ids."""
from __future__ import annotations

import pandas as pd

from ..errors import DataError, show_some
from ..manifest import SourceData
from .file_records import decode_records, refuse_other_extensions, require_dir, require_file


def read_label_csv(path, columns: tuple[str, str], what: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype={columns[0]: str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{what}: cannot parse {path}: {err}") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"{what}: {path} lacks column(s) {missing} (has {list(table.columns)})")
    ids, labels = table[columns[0]], pd.to_numeric(table[columns[1]], errors="coerce")
    no_label = ids[labels.isna() | (labels != labels.round())]
    if len(no_label):
        raise DataError(f"{what}: {path} has no integer {columns[1]} for {len(no_label)} {columns[0]}(s): "
                        f"{show_some(no_label)} (an empty or non-numeric cell)")
    duplicated = table.loc[table[columns[0]].duplicated(), columns[0]]
    if len(duplicated):
        raise DataError(f"{what}: duplicate ids in {path}: {', '.join(duplicated.unique()[:5])}")
    return table


def build_aptos(data_cfg, seed: int) -> SourceData:
    root = require_dir(data_cfg.root, "aptos")
    table = read_label_csv(require_file(root / "train.csv", "aptos"), ("id_code", "diagnosis"), "aptos")
    paths = [root / "train_images" / f"{i}.png" for i in table["id_code"]]
    refuse_other_extensions(paths, "aptos", root / "train.csv")
    return decode_records(paths, table["diagnosis"].tolist(), table["id_code"].tolist(), data_cfg)
