"""`privgan`'s entry point: parse, run the command asked for, turn the errors a user can act on
into one line and an exit code (2: refused as asked, nothing changed; 1: failed; 130/143: stopped)."""
from __future__ import annotations

import importlib
import os
import sys

from ..config.errors import ConfigError, RefusedError
from ..core.disk_full import DiskFullError, disk_full_error
from ..pipeline.interrupts import RunInterrupted, exit_code, interrupted_line, signals_raise_run_interrupted
from .messages import unwritable_line
from .parser import TAKES_OVERRIDES, build_parser

# Each command's module, loaded only when that command runs: the commands between them import
# torch, Lightning and every stage, which `privgan --help` and a usage error need not wait for.
COMMANDS = {
    "run": ("run_command", "run"),
    "stages": ("run_command", "list_stages"),
    "sweep": ("sweep_command", "sweep"),
    "replicate": ("replicate_command", "replicate"),
    "report": ("report_command", "report"),
    "export": ("release_commands", "export"),
    "verify": ("release_commands", "verify"),
}


def main(argv: list[str] | None = None) -> int:
    """`privgan`: SIGINT and SIGTERM end any command with one line and exit 130 / 143."""
    words = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")]
    try:
        with signals_raise_run_interrupted():
            return _main(argv)
    except (RunInterrupted, KeyboardInterrupt) as stop:  # outside a run's stages (a run says more itself)
        print(interrupted_line(stop, words[0] if words else "privgan"), file=sys.stderr)
        return exit_code(stop)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    # Overrides may come after options (`--only gan seed=1`): argparse leaves those unparsed.
    args, extra = parser.parse_known_args(argv)
    unknown = [e for e in extra if e.startswith("-") or args.command not in TAKES_OVERRIDES]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command in TAKES_OVERRIDES:
        args.overrides = [*args.overrides, *extra]
    module, function = COMMANDS[args.command]
    try:
        command = getattr(importlib.import_module(f".{module}", __package__), function)
        return command(args)
    except ConfigError as err:
        print(str(err), file=sys.stderr)
        return 2
    except RefusedError as err:
        # Refused as asked, nothing changed (a stale run to export, a report poorer than the one it replaces).
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as err:
        # Bad input named by the code that found it: one line, not a traceback wall.
        if os.environ.get("PRIVGAN_DEBUG"):
            raise
        print(f"error: {err} (PRIVGAN_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1
    except OSError as err:
        return _os_error(err)


def _os_error(err: OSError) -> int:
    """A read-only folder or a full disk: the user's to fix, not a bug, so one line that names it
    (atomic writes left every finished artifact intact, so the same command resumes)."""
    if os.environ.get("PRIVGAN_DEBUG"):
        raise err
    line = unwritable_line(err)
    if line is not None:
        print(line, file=sys.stderr)
        return 1
    if disk_full_error(err) is None:
        raise err
    detail = err.strerror if isinstance(err, DiskFullError) else f"no space left on the device ({err})"
    print(f"error: {detail}", file=sys.stderr)
    return 1
