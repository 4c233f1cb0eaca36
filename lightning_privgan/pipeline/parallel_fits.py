"""Independent fits of one stage trained at once on a CPU, one process each.

Why processes: on a CPU a small network's training step is mostly single-threaded Python (the
Lightning loop, augmentation, logging) around small kernels, so a second thread buys little
while a second process doubles the work done (docs/performance.md). The fits must be
independent and record their own results (the downstream stage's runs/<source>_<seed>.json):
a worker rebuilds the stage's context from its config and folder and reads and writes exactly
what the stage itself would, so an interrupted stage resumes the same way.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch
from omegaconf import DictConfig, OmegaConf
from rich.console import Console

from ..core.world import local_device
from .stage import StageContext
from .worker_processes import start_worker, worker_context, worker_start_args

# work(ctx, item, cache) -> result; `cache` lives as long as the process that runs the work (what
# several items can share: a loaded generator, a gate), and must be picklable by reference.
Work = Callable[[StageContext, Any, dict], Any]

_worker_cache: dict = {}


def cpu_processes(trainer, asked: int | None) -> int:
    """How many processes share this CPU run's work: `asked`, or one per thread (None). One on a
    GPU (its kernels already fill it) and under DDP (every rank does all of the work)."""
    if int(trainer.devices) * int(trainer.num_nodes) > 1 or local_device(trainer).type != "cpu":
        return 1
    return int(asked) if asked is not None else torch.get_num_threads()


def parallel_fits(cfg: DictConfig) -> int:
    """How many fits of one stage train at once (trainer.parallel_fits)."""
    return cpu_processes(cfg.trainer, cfg.trainer.parallel_fits)


def run_each(work: Work, ctx: StageContext, items: Sequence, processes: int) -> list:
    """[work(ctx, item, cache) for item in items], in order, over `processes` worker processes
    that split this process's threads; in this process when one is enough."""
    processes = min(processes, len(items))
    if processes <= 1:
        cache: dict = {}
        return [work(ctx, item, cache) for item in items]
    threads = max(1, torch.get_num_threads() // processes)
    # One line per event from each worker reads well; several live progress bars would not.
    cfg = OmegaConf.merge(ctx.cfg, {"trainer": {"progress_bar": False}})
    # Not fork: that would copy this process's thread pools and locks (worker_processes.py).
    with ProcessPoolExecutor(processes, mp_context=worker_context(), initializer=start_worker,
                             initargs=worker_start_args(threads)) as pool:
        futures = [pool.submit(_run_in_worker, work, cfg, ctx.run_dir, ctx.name, ctx.needs, ctx.outputs_of, item)
                   for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:  # the first failure ends the stage; the finished fits stay recorded
                future.cancel()
            raise


def _run_in_worker(work: Work, cfg: DictConfig, run_dir: Path, name: str, needs: tuple,
                   outputs_of: Mapping, item: Any) -> Any:
    ctx = StageContext(cfg, Path(run_dir), name, console=Console(), needs=needs, outputs_of=outputs_of)
    return work(ctx, item, _worker_cache)
