"""Running a benchmark script the way the Makefile does."""
from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

from tests.helpers.experiments import REPO


def as_make_does(script: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    # The editable install puts exactly the package on the path; a link in an empty folder does the
    # same for this checkout's package, whichever checkout the installed one points at.
    (tmp_path / "lightning_privgan").symlink_to(REPO / "lightning_privgan")
    env = dict(os.environ, PYTHONPATH=str(tmp_path), WANDB_MODE="offline", NO_ALBUMENTATIONS_UPDATE="1", HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


# Each script's `--help` in a child forked from one interpreter that has imported torch and Lightning
# once (about 3.5 s a script otherwise, a minute for the suite). A child starts as `python
# benchmarks/<script>.py` would: argv, its folder first on sys.path, the same cwd and PYTHONPATH, and
# none of the scripts' own modules loaded (the parent imports only installed packages).
_HELP_DRIVER = """
import os, runpy, sys
import torch, pytorch_lightning, lightning_privgan  # paid once, inherited by every child
out_dir = sys.argv[1]
for script in sys.argv[2:]:
    pid = os.fork()
    if pid == 0:
        for fd, name in ((1, 'out'), (2, 'err')):
            os.dup2(os.open(os.path.join(out_dir, script + '.' + name), os.O_WRONLY | os.O_CREAT), fd)
        sys.argv = ['benchmarks/' + script, '--help']
        sys.path[0] = os.path.abspath('benchmarks')
        code = 0
        try:
            runpy.run_path(sys.argv[0], run_name='__main__')
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except BaseException:
            import traceback; traceback.print_exc(); code = 1
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    open(os.path.join(out_dir, script + '.code'), 'w').write(str(os.waitstatus_to_exitcode(status)))
"""


def helps_as_make_does(scripts: list[str], tmp_path: Path) -> dict[str, subprocess.CompletedProcess]:
    """`python benchmarks/<script>.py --help` for every script, as `as_make_does` runs it, in one process."""
    (tmp_path / "lightning_privgan").symlink_to(REPO / "lightning_privgan")
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, PYTHONPATH=str(tmp_path), WANDB_MODE="offline", NO_ALBUMENTATIONS_UPDATE="1", HF_HUB_OFFLINE="1")
    driver = subprocess.run([sys.executable, "-c", _HELP_DRIVER, str(out), *scripts], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=600)
    assert driver.returncode == 0, driver.stderr[-3000:]
    return {s: subprocess.CompletedProcess([s, "--help"], int((out / f"{s}.code").read_text()),
                                           (out / f"{s}.out").read_text(), (out / f"{s}.err").read_text())
            for s in scripts}


def run_script_here(script: str, *args: str, capsys, monkeypatch) -> subprocess.CompletedProcess:
    """`python benchmarks/<script>.py ARGS` in this process: argv, the script's folder first on the
    path, its exit status and output as a script's. For a script's behaviour; how it starts from
    the repository root is `helps_as_make_does`'s test, which every script passes."""
    monkeypatch.setattr(sys, "argv", [f"benchmarks/{script}", *args])
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    capsys.readouterr()
    code = 0
    try:
        runpy.run_path(str(REPO / "benchmarks" / script), run_name="__main__")
    except SystemExit as stop:
        if isinstance(stop.code, str):  # what the interpreter does with SystemExit("message")
            print(stop.code, file=sys.stderr)
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    printed = capsys.readouterr()
    return subprocess.CompletedProcess([script, *args], code, printed.out, printed.err)
