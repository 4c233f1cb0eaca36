"""Sources `shenzhen`, `montgomery` and `tb` (both): the NLM tuberculosis chest X-ray sets.

As published, the PNGs are named CHNCXR_0001_0.png / MCUCXR_0001_0.png (the last digit
is the label: 0 normal, 1 TB) and sit in the folder itself or in its CXR_png/ subfolder (one of
the two: a root holding both is refused, naming both counts).
Sibling folders (ManualMask/, ClinicalReadings/) are not read: masks share the file names.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import DataError
from ..manifest import SourceData
from .file_records import decode_records, require_dir

PREFIXES = {"shenzhen": "CHNCXR", "montgomery": "MCUCXR"}


def _folder_entries(folder: Path, pattern: re.Pattern) -> tuple[list[tuple[Path, int, str]], list[str]]:
    """(file, label, patient_id) of the matching entries of one folder, and its other files.
    Symbolic links count as files even when broken or looping: decoding names (or, under
    on_bad_image=skip, skips and lists) them instead of their vanishing from the set."""
    if not folder.is_dir():
        return [], []
    found = [(f, pattern.match(f.name)) for f in sorted(folder.iterdir()) if f.is_file() or f.is_symlink()]
    records = [(f, int(m.group(2)), m.group(1).upper()) for f, m in found if m and not f.is_dir()]
    return records, [str(f) for f, m in found if not m]


def list_tb_images(root: Path, prefix: str) -> tuple[list[tuple[Path, int, str]], list[str]]:
    """(file, label, patient_id) for every <prefix>_####_L.png in root or root/CXR_png, and
    the other files of that folder, which are not read (the caller reports them). Both
    folders holding images is refused: reading one would drop the other's silently, and
    reading both could count one radiograph twice."""
    pattern = re.compile(rf"^({prefix}_\d+)_(\d)\.png$", re.IGNORECASE)
    sub, top = _folder_entries(root / "CXR_png", pattern), _folder_entries(root, pattern)
    if sub[0] and top[0]:
        shared = len({f.name.lower() for f, _, _ in sub[0]} & {f.name.lower() for f, _, _ in top[0]})
        raise DataError(f"{root} holds {len(top[0])} {prefix}_####_L.png file(s) and its CXR_png/ subfolder "
                        f"{len(sub[0])} more ({shared} name(s) in both): the published layout has them in one "
                        "folder; move them into one (or delete the copies) so that none is left out or read twice")
    for records, others in (sub, top):
        if records:
            return records, others
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
