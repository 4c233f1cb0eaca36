"""A full disk, told apart from other write errors: it is the user's to fix, and every finished
artifact is intact (writes are atomic), so the command that hit it resumes once there is space.
Free of torch, so that the command line can name the error without loading it."""
from __future__ import annotations

import errno


class DiskFullError(OSError):
    """No space left while writing an artifact; the message names the file, and the
    artifact it would have replaced is untouched."""


def disk_full_error(err: BaseException | None) -> OSError | None:
    """The ENOSPC/EDQUOT OSError behind `err`: torch's zip writer, for one, reports a failed
    write as a RuntimeError raised while handling the OSError."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
            return err
        err = err.__cause__ or err.__context__
    return None
