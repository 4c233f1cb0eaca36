"""The one-paragraph errors of the command line: a failed stage, a failed sweep cell or replicate,
a folder that cannot be written."""
from __future__ import annotations

import errno
import os
import sys
import textwrap
from pathlib import Path


def error_paragraph(err: BaseException, stage: str | None) -> str:
    """One paragraph a person can act on: which stage, what went wrong (the traceback is in the log)."""
    message = " ".join(str(err).split()) or "(no message)"
    where = f"stage '{stage}' failed" if stage else "the run failed"
    return textwrap.fill(f"error: {where}: {type(err).__name__}: {message}", width=100)


def print_unit_failed(unit: str, err: BaseException, stage: str | None, log: Path) -> int:
    """A sweep cell or a replicate failed: say which, the stage and the cause, where the log is; exit 1.
    PRIVGAN_DEBUG=1 re-raises instead, for the traceback."""
    if os.environ.get("PRIVGAN_DEBUG"):
        raise err
    cause = err.__cause__ or err
    print(error_paragraph(cause, stage).replace("error: ", f"error: {unit}: ", 1), file=sys.stderr)
    print(f"full log, with the traceback: {log}; run the same command again to resume", file=sys.stderr)
    return 1


def unwritable_line(err: OSError) -> str | None:
    """A read-only file system or a refused permission, in one line naming the folder; None for other errors."""
    if err.errno not in (errno.EROFS, errno.EACCES, errno.EPERM) or not err.filename:
        return None
    path = Path(os.fsdecode(err.filename))
    if err.errno == errno.EROFS:
        folder = path if path.is_dir() else path.parent  # a folder that could not be made: its parent
        return (f"error: {folder} is on a read-only file system ({path.name} could not be written); "
                "make it writable, or copy the run folder somewhere writable and run there")
    return f"error: permission denied: {path} ({err.strerror})"
