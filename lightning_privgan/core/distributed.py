"""Which process am I? Read from the launcher's environment before Lightning sets anything up.

The runner needs the global rank before any Trainer exists: under `srun` every task
starts the whole command, and under Lightning's own launcher the children re-run it.
"""
from __future__ import annotations

import os
import time
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
