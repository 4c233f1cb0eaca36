"""Atomic writes: a crash never leaves a half-written artifact that a later run would trust."""
from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Iterator

import torch

from .disk_full import DiskFullError, disk_full_error


# mkstemp's names: ".<file>.<8 random characters>.tmp" (see atomic_path)
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yields a temporary path beside `path`; renames it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except Exception as err:
        full = disk_full_error(err)
        if full is not None and not isinstance(err, DiskFullError):
            raise DiskFullError(full.errno, f"no space left on the device while writing {path}; free some space "
                                            "and run again (finished work is kept, training resumes)") from None
        raise
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete the temporary files that a killed process left behind in `folder` (recursively).

    Only call it while holding the run's lock (pipeline/run_lock.py): a live writer's
    temporary file looks the same."""
    removed = []
    for tmp in Path(folder).rglob("*.tmp"):
        if _TEMPORARY.match(tmp.name) and tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json_atomic(path: str | Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def hard_link_atomic(source: str | Path, path: str | Path) -> None:
    """`path` becomes another name of the file `source` (same bytes, no copy), replaced atomically.
    OSError where the file system has no hard links."""
    with atomic_path(path) as tmp:
        tmp.unlink()  # os.link does not overwrite
        os.link(source, tmp)


def torch_save_atomic(obj: Any, path: str | Path) -> None:
    # Through a Python file object: torch.save(obj, <path>) on a full disk raises an opaque
    # RuntimeError from its zip writer, a file object's write the OSError that names ENOSPC.
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
