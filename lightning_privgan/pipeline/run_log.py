"""A run's log file, and a console a person can read.

Lightning announces itself on every fit ("GPU available…", "TPU available…", a tip for
another logger, "Loading `train_dataloader`…", the same UserWarnings): 18 times each in
one demo, burying the stage lines. While a run is open its INFO messages and its warnings
go to runs/<name>/logs/<time>-<pid>.log only; stage headers, progress bars and the
stages' own results still reach the console, and so do warnings from anywhere else (they
are copied into the log too). On an error the log receives the traceback.
"""
from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from pathlib import Path

# Imported here, before any RunLog is entered, for the handlers Lightning adds to its loggers at
# import: __enter__ takes them off (imported later, they would print beside our file).
import lightning_fabric  # noqa: F401
import pytorch_lightning  # noqa: F401

from ..core.disk_full import disk_full_error

LIGHTNING_LOGGERS = ("pytorch_lightning", "lightning_fabric", "lightning")
LIGHTNING_PATHS = tuple(f"{os.sep}{name}{os.sep}" for name in LIGHTNING_LOGGERS)
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogFile(logging.FileHandler):
    """The run's log file. A record it cannot write (a full disk, a vanished folder) is noted, not
    printed as logging's "--- Logging error ---" traceback once per record: RunLog says it in one
    line at the end, unless the run itself stopped on the same full disk and says so."""

    failed: OSError | None = None

    def handleError(self, record: logging.LogRecord) -> None:
        err = sys.exc_info()[1]
        if not isinstance(err, OSError):
            super().handleError(record)
        elif self.failed is None:
            self.failed = err

    def close(self) -> None:
        try:
            super().close()  # flushes what the disk would not take, once more
        except OSError as err:
            self.failed = self.failed or err


def from_lightning(category: type, filename: str) -> bool:
    """A warning raised by Lightning itself (its own category, or raised from its source)."""
    return category.__module__.split(".")[0] in LIGHTNING_LOGGERS or any(p in filename for p in LIGHTNING_PATHS)


class RunLog:
    """Context manager: `with RunLog(run_dir) as log:`; `log.path` is the file, `log.logger` writes to it."""

    def __init__(self, run_dir: Path) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        self.path = Path(run_dir) / "logs" / f"{stamp}-{os.getpid()}.log"
        self.logger = logging.getLogger("lightning_privgan")
        self.lightning_warnings = 0

    def __enter__(self) -> "RunLog":
        # Lightning gave its loggers a console handler at import (the root logger had none then):
        # those handlers come off below, so that its messages reach only our file.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = LogFile(self.path, encoding="utf-8")
        self.file.setFormatter(logging.Formatter(FORMAT))
        self.file.setLevel(logging.INFO)
        # Other libraries still warn on the console, as Python's last-resort handler would; the
        # project's own records are for the file (the console hears from the stages through Rich).
        self.console = logging.StreamHandler(sys.stderr)
        self.console.setLevel(logging.WARNING)
        quiet = (*LIGHTNING_LOGGERS, "lightning_privgan")
        self.console.addFilter(lambda record: record.name.split(".")[0] not in quiet)
        root = logging.getLogger()
        self._saved = {"loggers": {}}
        for name in LIGHTNING_LOGGERS:
            lg = logging.getLogger(name)
            self._saved["loggers"][name] = (list(lg.handlers), lg.propagate)
            for handler in list(lg.handlers):
                if type(handler) is logging.StreamHandler:
                    lg.removeHandler(handler)
            lg.propagate = True
        root.addHandler(self.file)
        root.addHandler(self.console)
        self._saved["own_level"] = self.logger.level
        self.logger.setLevel(logging.INFO)
        self._showwarning = warnings.showwarning
        warnings.showwarning = self._showwarning_into_log
        self.logger.info("log of %s (pid %d)", " ".join(sys.argv), os.getpid())
        return self

    def _showwarning_into_log(self, message, category, filename, lineno, file=None, line=None) -> None:
        text = warnings.formatwarning(message, category, filename, lineno, line).strip()
        record = logging.LogRecord("py.warnings", logging.WARNING, filename, lineno, text, None, None)
        self.file.handle(record)
        if from_lightning(category, filename):
            self.lightning_warnings += 1
        else:
            self._showwarning(message, category, filename, lineno, file, line)

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None:
            self.logger.error("run stopped by %s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))
        warnings.showwarning = self._showwarning
        root = logging.getLogger()
        root.removeHandler(self.file)
        root.removeHandler(self.console)
        for name, (handlers, propagate) in self._saved["loggers"].items():
            lg = logging.getLogger(name)
            for handler in handlers:
                if handler not in lg.handlers:
                    lg.addHandler(handler)
            lg.propagate = propagate
        self.logger.setLevel(self._saved["own_level"])
        self.file.close()
        failed = self.file.failed
        if failed is not None and not (disk_full_error(failed) and disk_full_error(exc)):
            print(f"warning: the run log {self.path} is incomplete: it could not be written "
                  f"({failed.strerror or failed})", file=sys.stderr)
