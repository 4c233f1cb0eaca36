"""Source `aptos`: APTOS 2019 blindness detection (train.csv with id_code,diagnosis;
images in train_images/<id_code>.png; DR grade 0-4). One patient per image: the set
publishes no patient ids."""
from __future__ import annotations

import pandas as pd

from ..errors import DataError
from ..manifest import SourceData
from .file_records import decode_records, require_dir, require_file


def read_label_csv(path, columns: tuple[str, str], what: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype={columns[0]: str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{what}: cannot parse {path}: {err}") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"{what}: {path} lacks column(s) {missing} (has {list(table.columns)})")
    duplicated = table.loc[table[columns[0]].duplicated(), columns[0]]
    if len(duplicated):
        raise DataError(f"{what}: duplicate ids in {path}: {', '.join(duplicated.unique()[:5])}")
    return table


def build_aptos(data_cfg, seed: int) -> SourceData:
    root = require_dir(data_cfg.root, "aptos")
    table = read_label_csv(require_file(root / "train.csv", "aptos"), ("id_code", "diagnosis"), "aptos")
    paths = [root / "train_images" / f"{i}.png" for i in table["id_code"]]
    return decode_records(paths, table["diagnosis"].tolist(), table["id_code"].tolist(), data_cfg)
