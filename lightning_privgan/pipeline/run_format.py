"""The format version of a run folder, so that a released version can refuse (or one day migrate)
folders another version wrote, instead of reading them by guesswork.

Every run folder holds `run_format.json` = {"format_version": N}, and every stage record
(stage.json, attempt.json) carries the same "format_version". Bump RUN_FORMAT_VERSION whenever a
run folder's layout or a stage's outputs change in a way an older folder would be misread by;
a migration, if ever written, starts from the version found here. There is none for folders
without a version: they come from development versions before the first release.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..config.errors import ConfigError
from ..core.atomic import write_json_atomic

RUN_FORMAT_VERSION = 1
FORMAT_FILE = "run_format.json"
FORMAT_KEY = "format_version"
# What makes a folder a run folder (rather than a new or empty one): the runner's config copy or
# a stage record. A logs/ folder alone is not (the CLI opens its log before the first stage).
_RUN_MARKERS = ("config.yaml", "*/stage.json", "*/attempt.json")


class RunFormatError(ConfigError):
    """A run folder (or stage record) of another format version; the CLI prints it and exits 2."""


def found_version(run_dir: Path) -> int | None:
    """The folder's recorded format version; None when it records none (or not readably)."""
    try:
        value = json.loads((Path(run_dir) / FORMAT_FILE).read_text()).get(FORMAT_KEY)
    except (FileNotFoundError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def is_run_folder(run_dir: Path) -> bool:
    run_dir = Path(run_dir)
    return run_dir.is_dir() and any(next(run_dir.glob(pattern), None) is not None for pattern in _RUN_MARKERS)


def _refusal(what: str, where: Path, run_dir: Path, found: object) -> RunFormatError:
    has = "records no format version" if found is None else f"has format version {found!r}"
    return RunFormatError(
        f"{what} {where} {has}; this version of lightning_privgan reads run folders of format version "
        f"{RUN_FORMAT_VERSION} only. It was written by another version"
        f"{' (an unreleased development one)' if found is None else ''}: run the experiment into a new folder "
        f"(another `name:` or runs_root), or delete {run_dir}.")


def check_run_format(run_dir: Path) -> None:
    """Refuse a run folder of another (or no) format version; a new or empty folder passes."""
    run_dir = Path(run_dir)
    if not is_run_folder(run_dir) and not (run_dir / FORMAT_FILE).exists():
        return
    found = found_version(run_dir)
    if found != RUN_FORMAT_VERSION:
        raise _refusal("run folder", run_dir, run_dir, found)


def check_record_format(record_path: Path, record: dict) -> None:
    """Refuse a stage record (stage.json, attempt.json) of another (or no) format version."""
    found = record.get(FORMAT_KEY)
    if found != RUN_FORMAT_VERSION:
        raise _refusal("stage record", Path(record_path), Path(record_path).parent.parent, found)


def write_run_format(run_dir: Path) -> None:
    """Stamp `run_dir` with this version's format (after check_run_format said it may be used)."""
    run_dir = Path(run_dir)
    if found_version(run_dir) != RUN_FORMAT_VERSION:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(run_dir / FORMAT_FILE, {FORMAT_KEY: RUN_FORMAT_VERSION})
