"""Sources `shenzhen`, `montgomery` and `tb` (both): the NLM tuberculosis chest X-ray sets.

As published, the PNGs are named CHNCXR_0001_0.png / MCUCXR_0001_0.png (the last digit
is the label: 0 normal, 1 TB) and sit in the folder itself or in its CXR_png/ subfolder.
Sibling folders (ManualMask/, ClinicalReadings/) are not read: masks share the file names.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import DataError
from ..manifest import SourceData
from .file_records import decode_records, require_dir

PREFIXES = {"shenzhen": "CHNCXR", "montgomery": "MCUCXR"}


def list_tb_images(root: Path, prefix: str) -> tuple[list[tuple[Path, int, str]], list[str]]:
    """(file, label, patient_id) for every <prefix>_####_L.png in root or root/CXR_png, and
    the other files of that folder, which are not read (the caller reports them)."""
    pattern = re.compile(rf"^({prefix}_\d+)_(\d)\.png$", re.IGNORECASE)
    for folder in (root / "CXR_png", root):
        if not folder.is_dir():
            continue
        found = [(f, pattern.match(f.name)) for f in sorted(folder.iterdir()) if f.is_file()]
        records = [(f, int(m.group(2)), m.group(1).upper()) for f, m in found if m]
        if records:
            return records, [str(f) for f, m in found if not m]
    raise DataError(f"no {prefix}_####_L.png files in {root} or {root / 'CXR_png'}")


def _build(roots: list[tuple[str, str | None]], data_cfg) -> SourceData:
    records, unmatched = [], []
    for name, root in roots:
        found, others = list_tb_images(require_dir(root, name), PREFIXES[name])
        records += found
        unmatched += others
    # One patient per file: the published sets hold one frontal radiograph per person.
    paths, labels, patients = zip(*records)
    return decode_records(paths, labels, patients, data_cfg, notes={"unmatched_files": unmatched} if unmatched else {})


def build_shenzhen(data_cfg, seed: int) -> SourceData:
    return _build([("shenzhen", data_cfg.root)], data_cfg)


def build_montgomery(data_cfg, seed: int) -> SourceData:
    return _build([("montgomery", data_cfg.root)], data_cfg)


def build_tb(data_cfg, seed: int) -> SourceData:
    if len(data_cfg.roots) != 2:
        raise DataError(f"tb: data.roots must be [shenzhen_root, montgomery_root], got {list(data_cfg.roots)}")
    return _build([("shenzhen", data_cfg.roots[0]), ("montgomery", data_cfg.roots[1])], data_cfg)
