"""Source `eyepacs`: Kaggle DR detection (trainLabels.csv with image,level; images
<root>/train/<image>.jpeg or <root>/<image>.jpeg). Both eyes of a person share a
patient id (`10_left`, `10_right` -> `10`), so they always fall in the same split; the
suffix and the id are read case-insensitively (`10_LEFT` is the same patient as `10_right`)."""
from __future__ import annotations

from ..manifest import SourceData
from .aptos import read_label_csv
from .file_records import decode_records, refuse_other_extensions, require_dir, require_file


def patient_of(image: str) -> str:
    image = image.strip().lower()
    for suffix in ("_left", "_right"):
        if image.endswith(suffix):
            return image[: -len(suffix)]
    return image


def build_eyepacs(data_cfg, seed: int) -> SourceData:
    root = require_dir(data_cfg.root, "eyepacs")
    table = read_label_csv(require_file(root / "trainLabels.csv", "eyepacs"), ("image", "level"), "eyepacs")
    folder = root / "train" if (root / "train").is_dir() else root
    paths = [folder / f"{name}.jpeg" for name in table["image"]]
    refuse_other_extensions(paths, "eyepacs", root / "trainLabels.csv")
    patients = [patient_of(name) for name in table["image"]]
    return decode_records(paths, table["level"].tolist(), patients, data_cfg)
