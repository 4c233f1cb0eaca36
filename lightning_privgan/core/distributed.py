"""Which process am I? Read from the launcher's environment before Lightning sets anything up.

The runner needs the global rank before any Trainer exists: under `srun` every task
starts the whole command, and under Lightning's own launcher the children re-run it.
"""
from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")


def global_rank() -> int:
    env = os.environ
    if "RANK" in env:  # torchrun, Lightning children after setup
        return int(env["RANK"])
    if int(env.get("SLURM_NTASKS", "1")) > 1 and "SLURM_PROCID" in env:
        return int(env["SLURM_PROCID"])
    if "LOCAL_RANK" in env:  # Lightning's subprocess launcher sets LOCAL_RANK and NODE_RANK
        local = int(env["LOCAL_RANK"])
        node = int(env.get("NODE_RANK", env.get("GROUP_RANK", "0")))
        per_node = int(env.get("LOCAL_WORLD_SIZE", env.get("PRIVGAN_DEVICES", "1")))
        return node * per_node + local
    return 0


def is_global_zero() -> bool:
    return global_rank() == 0


JOB_ENV = "PRIVGAN_JOB"


def _launcher_job() -> str | None:
    env = os.environ
    if int(env.get("SLURM_NTASKS", "1")) > 1 and "SLURM_JOB_ID" in env:
        return f"slurm-{env['SLURM_JOB_ID']}.{env.get('SLURM_STEP_ID', '0')}"
    if env.get("TORCHELASTIC_RUN_ID", "none") != "none":
        return f"torchrun-{env['TORCHELASTIC_RUN_ID']}"
    return None


def start_job() -> None:
    """On rank 0, as a run starts: a new job id, which the children that Lightning's launcher
    starts later inherit with the environment (srun and torchrun name their jobs themselves)."""
    if is_global_zero() and _launcher_job() is None:
        os.environ[JOB_ENV] = uuid.uuid4().hex


def job_id() -> str | None:
    """An id that every rank of this DDP job shares and an earlier job does not; None where the
    job has none (a non-zero rank then waits as it did before ids)."""
    return _launcher_job() or os.environ.get(JOB_ENV)


def wait_for(condition: Callable[[], T], what: str, timeout_s: float = 7 * 24 * 3600, poll_s: float = 2.0) -> T:
    """Block a non-zero rank until rank 0 has produced `what` on the shared file system;
    returns the condition's first truthy value (e.g. the file it loaded)."""
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"rank {global_rank()} gave up waiting for {what}")
        time.sleep(poll_s)
    return value


def file_exists(path: Path) -> Callable[[], bool]:
    return path.exists
