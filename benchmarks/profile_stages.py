"""Where a run's time goes: wall and CPU time of every stage, split into what it was spent on.

    python benchmarks/profile_stages.py experiments/demo.yaml name=prof            # every stage
    python benchmarks/profile_stages.py experiments/demo.yaml name=base --only downstream --force downstream

Takes `privgan run`'s arguments and runs the pipeline in this process with timers on the calls
that mark each kind of work. Each moment of the main thread's wall time is charged to one bucket
(the buckets add up to the stage's wall time): a call of a higher-ranked kind made inside a lower
one takes over its time (a checkpoint write inside a validation round is a checkpoint write), a
lower-ranked one is absorbed (the generator rendering the stream is rendering, not model compute).
From lowest to highest rank:

- stage code: everything no timer below claims (the stage's own Python and tensor work
  outside any nn.Module, e.g. Adam on the walker's paths, distance matrices);
- fit set-up/teardown: inside `Trainer()` and `Trainer.fit` but in no bucket below
  (strategy and accelerator set-up, moving the model, the fit loop's own bookkeeping);
- model compute: nn.Module calls, backward passes and optimiser steps outside the buckets
  above them (training steps, the walker's renders, featurising, evaluation by hand);
- validation rounds: Lightning's validation/test loops (sanity check included), less the
  data loading, logging and checkpoints inside them;
- data loading: DataLoader iteration (reading, collation, augmentation of real batches);
- stream rendering: the synthetic stream turning a batch ticket into images (paths, G, gate);
- logging and metrics: callbacks (progress bar, checkpoint decisions), `self.log`, torchmetrics
  updates and computes, logger writes;
- checkpoint and file I/O: `Trainer.save_checkpoint`, `torch.save`, `torch.load`.

Timers run on the main thread only; the walker's chunk threads work while the main thread
waits in stage code. CPU time counts every thread of the process (and finished child
processes), so CPU/wall above 1 means parallel work. The timers cost a few microseconds per
marked call (an nn.Module call inside another costs one comparison).
"""
from __future__ import annotations

import argparse
import functools
import json
import resource
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

BUCKETS = ("stage code", "fit set-up/teardown", "model compute", "validation rounds", "data loading",
           "stream rendering", "logging and metrics", "checkpoint and file I/O")
RANK = {name: i for i, name in enumerate(BUCKETS)}


class BucketClock:
    """Charges the main thread's wall time to the bucket of the highest-ranked marked call in progress."""

    def __init__(self) -> None:
        self.main = threading.get_ident()
        self.reset()

    def reset(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.fits = 0
        self.stack = [0]
        self.last = time.perf_counter()

    def _charge(self) -> None:
        now = time.perf_counter()
        self.totals[BUCKETS[self.stack[-1]]] += now - self.last
        self.last = now

    def enter(self, rank: int) -> bool:
        if threading.get_ident() != self.main or rank <= self.stack[-1]:
            return False
        self._charge()
        self.stack.append(rank)
        self.calls[BUCKETS[rank]] += 1
        return True

    def leave(self) -> None:
        self._charge()
        self.stack.pop()

    def snapshot(self) -> dict[str, float]:
        self._charge()
        return dict(self.totals)


def _timed(clock: BucketClock, bucket: str, fn):
    rank = RANK[bucket]

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not clock.enter(rank):
            return fn(*args, **kwargs)
        try:
            return fn(*args, **kwargs)
        finally:
            clock.leave()

    return wrapper


def _patch(clock: BucketClock, owner, attr: str, bucket: str) -> None:
    setattr(owner, attr, _timed(clock, bucket, getattr(owner, attr)))


def install_timers(clock: BucketClock) -> None:
    """Wrap the calls that mark each bucket (module attributes, so call sites that look them up
    at call time, as Lightning's loops and torch do, go through the timers)."""
    import pytorch_lightning as pl
    import torch
    import torch.utils.data.dataloader as dataloader
    from pytorch_lightning.core.optimizer import LightningOptimizer
    from pytorch_lightning.loggers import CSVLogger
    from pytorch_lightning.loops.evaluation_loop import _EvaluationLoop
    from pytorch_lightning.trainer import call
    from torchmetrics import MetricCollection

    from lightning_privgan.walk.datamodule import WalkerDataModule

    for owner, attr, bucket in (
        (pl.Trainer, "__init__", "fit set-up/teardown"),
        (pl.Trainer, "fit", "fit set-up/teardown"),
        (torch.nn.Module, "__call__", "model compute"),
        (torch.Tensor, "backward", "model compute"),
        (torch.autograd, "grad", "model compute"),
        (LightningOptimizer, "step", "model compute"),
        (_EvaluationLoop, "run", "validation rounds"),
        (dataloader._BaseDataLoaderIter, "__next__", "data loading"),
        (WalkerDataModule, "make_batch", "stream rendering"),
        (call, "_call_callback_hooks", "logging and metrics"),
        (pl.LightningModule, "log", "logging and metrics"),
        (pl.LightningModule, "log_dict", "logging and metrics"),
        (MetricCollection, "update", "logging and metrics"),
        (MetricCollection, "compute", "logging and metrics"),
        (CSVLogger, "log_metrics", "logging and metrics"),
        (CSVLogger, "save", "logging and metrics"),
        (pl.Trainer, "save_checkpoint", "checkpoint and file I/O"),
        (torch, "save", "checkpoint and file I/O"),
        (torch, "load", "checkpoint and file I/O"),
    ):
        _patch(clock, owner, attr, bucket)
    fit = pl.Trainer.fit

    @functools.wraps(fit)
    def counted_fit(*args, **kwargs):
        clock.fits += 1
        return fit(*args, **kwargs)

    pl.Trainer.fit = counted_fit


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def profile_run(argv: list[str]) -> list[dict]:
    """Run `privgan run <argv>` here; one row per stage that ran: wall, cpu, fits, buckets."""
    from lightning_privgan import cli
    from lightning_privgan.pipeline.runner import Pipeline

    clock = BucketClock()
    install_timers(clock)
    rows: list[dict] = []
    run_stage = Pipeline._run_stage

    def profiled_stage(self, stage, *args, **kwargs):
        clock.reset()
        wall, cpu = time.perf_counter(), _cpu_seconds()
        try:
            return run_stage(self, stage, *args, **kwargs)
        finally:
            wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
            rows.append({"stage": stage.name, "wall_s": wall, "cpu_s": cpu,
                         "fits": clock.fits, "buckets": clock.snapshot()})

    Pipeline._run_stage = profiled_stage
    # One stage at a time, in this process: the timers see only this process's stages.
    code = cli.main(["run", argv[0], "trainer.parallel_stages=1", *argv[1:]])
    if code:
        raise SystemExit(f"the run failed (exit code {code}); the stages before the failure are below:\n"
                         + markdown_table(rows))
    return rows


def markdown_table(rows: list[dict]) -> str:
    used = [b for b in BUCKETS if any(r["buckets"].get(b, 0.0) >= 0.05 for r in rows)]
    head = ["stage", "wall s", "CPU s", "fits", *used]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    for r in rows:
        cells = [r["stage"], f"{r['wall_s']:.1f}", f"{r['cpu_s']:.1f}", str(r["fits"])]
        cells += [f"{r['buckets'].get(b, 0.0):.1f}" for b in used]
        lines.append("| " + " | ".join(cells) + " |")
    total = sum(r["wall_s"] for r in rows)
    lines.append(f"\ntotal wall time of the stages that ran: {total:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the rows here (wall, cpu, fits, seconds per bucket)")
    args, run_args = parser.parse_known_args(argv)
    if not run_args:
        parser.error("give privgan run's arguments: an experiment file, overrides, --only/--force STAGE")
    rows = profile_run(run_args)
    print(markdown_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
