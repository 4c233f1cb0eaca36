"""Running a benchmark script the way the Makefile does."""
from __future__ import annotations

import os
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
