"""Stand-in stages for the side-by-side runner: module-level, so a worker process can import
them. Each records where and when it ran (pid, threads, start, end) beside its result."""
from __future__ import annotations

import functools
import json
import os
import time

import torch

from lightning_privgan.core.atomic import write_text_atomic
from lightning_privgan.pipeline.stage import Stage

SECONDS = 1.0  # long enough that two stages started together overlap whatever a worker's start costs


def _record(ctx, pause: float = SECONDS) -> None:
    start = time.time()
    (ctx.out / "partial.txt").write_text("started")
    time.sleep(pause)
    write_text_atomic(ctx.out / "result.txt", f"{ctx.name}:{ctx.seed()}")
    write_text_atomic(ctx.out / "ran.json", json.dumps({"pid": os.getpid(), "threads": torch.get_num_threads(),
                                                        "start": start, "end": time.time()}))


def _fail(ctx) -> None:
    (ctx.out / "partial.txt").write_text("started")
    # Once gan runs beside it (its worker may still be starting), so that its stop is seen.
    deadline = time.time() + 120
    while not (ctx.run_dir / "gan" / "partial.txt").exists() and time.time() < deadline:
        time.sleep(0.05)
    raise ValueError(f"{ctx.name} refuses its input")


def _wait_then_record(ctx) -> None:  # long, so that a sibling's failure finds it running
    (ctx.out / "partial.txt").write_text("started")
    time.sleep(4 * SECONDS)
    _record(ctx)


def make_stages(fail: str | None = None, slow: str | None = None, pause: float = SECONDS) -> list[Stage]:
    """data -> (gan, identity, auditor) -> walk (needs all three); `fail` raises in that
    stage, `slow` makes that one run four times longer. The three that can run side by side
    take `pause` seconds each (0: a run whose timing nothing checks); data and walk none."""
    def body(name):
        if name == fail:
            return _fail
        if name == slow:
            return _wait_then_record
        # a partial of a module-level function: a worker process unpickles it by name
        return functools.partial(_record, pause=pause if name in ("gan", "identity", "auditor") else 0.0)

    return [
        Stage("data", body("data"), needs=(), config_keys=("data",)),
        Stage("gan", body("gan"), needs=("data",), config_keys=("gan",)),
        Stage("identity", body("identity"), needs=("data",), config_keys=("identity",)),
        Stage("auditor", body("auditor"), needs=("data",), config_keys=("auditor",)),
        Stage("walk", body("walk"), needs=("gan", "identity", "auditor"), config_keys=("walk",)),
    ]
