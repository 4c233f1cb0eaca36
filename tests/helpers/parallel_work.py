"""Work items for the process-pool tests: module-level, so that a worker process can import them."""
from __future__ import annotations

import os
import sys
import time

import torch


def pid_and_square(ctx, item: int, cache: dict) -> dict:
    """(the worker's pid and threads, the item squared, how many items this process's cache saw)."""
    cache["seen"] = cache.get("seen", 0) + 1
    # Long enough that the second worker, forked at once from the fork server, gets items too.
    time.sleep(0.25)
    return {"pid": os.getpid(), "threads": torch.get_num_threads(), "value": item * item, "seen": cache["seen"],
            "stage": ctx.name, "progress_bar": bool(ctx.cfg.trainer.progress_bar)}


def fail_on_three(ctx, item: int, cache: dict) -> int:
    if item == 3:
        raise ValueError("item 3 is refused")
    return item


def environment_seen(ctx, item: int, cache: dict) -> dict:
    """What a worker sees of its parent's state: an environment variable, the folder, the path."""
    time.sleep(0.25)
    return {"pid": os.getpid(), "probe": os.environ.get("PRIVGAN_WORKER_PROBE"), "cwd": os.getcwd(),
            "path_mark": "privgan-probe-path" in sys.path}
