"""Ctrl-C (SIGINT) and SIGTERM become one exception that says what it is, so that an interrupted
run ends with one line (interrupted, in which stage, a rerun resumes it) and the shell's exit
status for a signal (130, 143), instead of a traceback or, inside a Lightning fit, nothing.

Why not KeyboardInterrupt: Lightning's fit catches it, logs "Detected KeyboardInterrupt" to
its own logger and calls sys.exit(1), so the CLI could not tell Ctrl-C from a failure; and
SIGTERM has no Python exception at all (Lightning only sets a flag and leaves with exit 0).
RunInterrupted passes through `except Exception` like KeyboardInterrupt does, so every
`finally`, context manager and atomic write cleans up on the way out, and Lightning's own
handler (which chains to ours for SIGTERM) tears the fit down before re-raising it.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(BaseException):
    """Raised in the main thread when the process receives SIGINT or SIGTERM."""

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(self.signal_name)

    def __reduce__(self):  # rebuilt from the signal number: a worker process's interrupt reaches the runner
        return (type(self), (self.signum,))

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # what a shell reports for a process ended by the signal


@contextlib.contextmanager
def signals_raise_run_interrupted() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise RunInterrupted (main thread only: Python delivers
    signals there); the previous handlers come back on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}

    def interrupt(signum, frame) -> None:
        raise RunInterrupted(signum)

    for s in SIGNALS:
        signal.signal(s, interrupt)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


def interrupted_line(stop: RunInterrupted | KeyboardInterrupt, command: str, stage: str | None = None) -> str:
    """One line: which command was stopped by which signal, in which stage, and that the same
    command resumes it (`privgan run` and `sweep` keep every finished stage and checkpoint;
    the others write atomically, so they leave nothing half-written either)."""
    name = stop.signal_name if isinstance(stop, RunInterrupted) else "SIGINT"
    how = f"{name} (Ctrl-C)" if name == "SIGINT" else name
    if command != "run":
        return f"interrupted: privgan {command} stopped by {how}; run the same command again to resume it"
    where = f"during stage '{stage}'" if stage else "before any stage started"
    return (f"interrupted: the run stopped by {how} {where}; finished stages and saved checkpoints are kept, "
            f"so running the same command again resumes it")


def exit_code(stop: RunInterrupted | KeyboardInterrupt) -> int:
    return stop.exit_code if isinstance(stop, RunInterrupted) else 128 + signal.SIGINT
