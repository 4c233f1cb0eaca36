"""Where a release may be written.

A release folder is replaced as a whole, so the target must hold nothing else a user may
want: a non-empty folder is refused unless `overwrite` is asked for and it holds a previous
release and nothing else (its release.json, and only the files its checksums.sha256 lists),
and a target that is, contains or lies inside a run folder is refused always (replacing it
would delete trained models and results).
"""
from __future__ import annotations

import os
from pathlib import Path

from ..config.errors import RefusedError
from .checksums import CHECKSUMS, read_checksums
from .writer import IMAGES

# A run folder holds the resolved config and one folder per stage with its record.
RUN_CONFIG = "config.yaml"
STAGE_RECORDS = ("stage.json", "attempt.json")


class ReleaseTargetError(RefusedError):
    """The --out folder of a release cannot be used; the message says why and what to do."""


def is_run_folder(folder: Path) -> bool:
    if not (folder / RUN_CONFIG).is_file():
        return False
    try:
        children = [c for c in folder.iterdir() if c.is_dir()]
    except OSError:
        return False
    return any((c / rec).is_file() for c in children for rec in STAGE_RECORDS)


def _run_folder_inside(folder: Path) -> Path | None:
    for root, dirs, files in os.walk(folder):
        if RUN_CONFIG in files and is_run_folder(Path(root)):
            return Path(root)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
    return None


def _not_a_release(folder: Path) -> str | None:
    """Why `folder` is not a previous release that --overwrite may replace whole; None when it is one."""
    missing = [name for name in ("release.json", CHECKSUMS) if not (folder / name).is_file()]
    if missing:
        return f"it holds no {' and no '.join(missing)}, so it is not a release written by privgan export"
    try:
        listed = {*read_checksums(folder), CHECKSUMS}
        entries = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*")}
        # A release holds its listed files and the images/ folder; anything else (a file, an empty
        # folder, a link) is someone else's.
        others = sorted(rel for rel, p in entries.items()
                        if not (rel in listed and (p.is_file() or p.is_symlink()))
                        and not (rel == IMAGES and p.is_dir() and not p.is_symlink()))
    except (OSError, ValueError) as err:
        return f"its {CHECKSUMS} cannot be read ({err})"
    if others:
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        return f"it holds files that are not part of its release: {', '.join(others[:3])}{more}"
    return None


def check_release_target(out: Path, run_dir: Path | None = None, overwrite: bool = False) -> Path:
    """The resolved target, or ReleaseTargetError naming the problem."""
    out = Path(out).expanduser()
    resolved = out.resolve()
    if resolved.exists() and not resolved.is_dir():
        raise ReleaseTargetError(f"--out {out} is a file, not a folder; give a new or empty folder for the release")
    blocking = next((p for p in resolved.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise ReleaseTargetError(f"--out {out} cannot be created: {blocking} is a file, not a folder")
    runs = [Path(run_dir).resolve()] if run_dir is not None else []
    runs += [p for p in [resolved, *resolved.parents] if is_run_folder(p)]
    for run in runs:
        if resolved == run or run in resolved.parents:
            where = "is" if resolved == run else "lies inside"
            raise ReleaseTargetError(f"--out {out} {where} the run folder {run}; a release is written outside every "
                                     f"run folder (replacing it would delete the run's results)")
        if resolved in run.parents:
            raise ReleaseTargetError(f"--out {out} contains the run folder {run}; a release is written outside every "
                                     f"run folder (replacing it would delete the run's results)")
    if resolved.is_dir() and any(resolved.iterdir()):
        if not overwrite:
            raise ReleaseTargetError(f"--out {out} is not empty; give a new or empty folder, or --overwrite to replace "
                                     f"the previous release in it")
        inside = _run_folder_inside(resolved)
        if inside is not None:
            raise ReleaseTargetError(f"--out {out} contains the run folder {inside}; a release is written outside "
                                     f"every run folder (replacing it would delete the run's results)")
        why = _not_a_release(resolved)
        if why is not None:
            raise ReleaseTargetError(f"--out {out} is not empty and --overwrite replaces only a previous release: "
                                     f"{why}; nothing was deleted. Give a new or empty folder")
    return resolved
