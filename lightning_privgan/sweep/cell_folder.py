"""A sweep cell's run folder: the finished run's upstream stage folders, hard-linked.

Hard links, not symlinks: a stage that writes beside a file it read (an atomic rename,
a folder the runner clears) then changes the cell's entry only, never the finished run's.
Their stage.json records are the finished run's, so the runner finds them current and
runs only walk and the stages after it. Where hard links are impossible (another file
system) the files are copied.
"""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from ..pipeline.run_format import write_run_format
from ..stages.outputs import sweep_folder  # noqa: F401  (where a finished run's sweep lives)

RECORD = "stage.json"  # the runner's completion record (pipeline/runner.py)


def link_tree(src: Path, dst: Path) -> None:
    """Recreate folder `src` at `dst` (which must not exist) with hard links to its files.

    Built under a temporary name and renamed at the end: an interrupted link leaves no
    half-filled stage folder that the runner could take for a finished one."""
    tmp = dst.with_name(f".{dst.name}.linking")
    if tmp.exists():
        shutil.rmtree(tmp)
    for folder, _, files in os.walk(src):
        rel = Path(folder).relative_to(src)
        (tmp / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            _link_or_copy(Path(folder) / name, tmp / rel / name)
    tmp.rename(dst)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError as err:
        if err.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(src, dst)


def link_upstream(finished_run: Path, cell_dir: Path, stages: list[str]) -> list[str]:
    """Give `cell_dir` the finished run's folders of `stages`; the names of those (re)linked.

    A folder already linked with the same completion record is kept (a re-run sweep does
    no work here); one whose record differs (the finished run was re-run since) is replaced."""
    cell_dir.mkdir(parents=True, exist_ok=True)
    write_run_format(cell_dir)  # the finished run's format (the sweep checked it when it read its records)
    linked = []
    for stage in stages:
        src, dst = finished_run / stage, cell_dir / stage
        if not (src / RECORD).is_file():
            raise ValueError(f"stage '{stage}' of the finished run {finished_run} has no {RECORD}: it never finished")
        if dst.exists():
            if (dst / RECORD).is_file() and (dst / RECORD).read_bytes() == (src / RECORD).read_bytes():
                continue
            shutil.rmtree(dst)  # the cell's own links or copies; the finished run's files keep their other link
        link_tree(src, dst)
        linked.append(stage)
    return linked
