"""Independent stages run side by side on a CPU, one process each.

Why: gan, identity, auditor and class_guide read only the data stage, and anchors only data and
gan, so where one stage cannot use every core the others can run beside it. Off by default:
on a 2-core CPU two threads a stage already scale 1.6-1.9x and side by side gained nothing
(docs/performance.md); machines with more cores than a small network fills are its case.

A stage runs in a worker process only while another runs beside it; a stage with nothing to
run beside it runs in this process with all its threads, as in a run one stage after another.
A worker runs the runner's own `_run_stage` (attempt.json, stage.json, output digests), so
caching, resume and the records are those of a sequential run. A worker's Lightning notices go
to its own file under logs/; its console lines carry the stage's name. When a stage fails or the
run is interrupted, the stages beside it are stopped with SIGTERM, which each turns into the
run's interrupt (pipeline/interrupts.py): its attempt.json and last checkpoint stay, so the same
command resumes it.
"""
from __future__ import annotations

import io
import os
import pickle
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

import torch
from omegaconf import DictConfig, OmegaConf
from rich.console import Console

from .interrupts import RunInterrupted, signals_raise_run_interrupted
from .parallel_fits import cpu_processes
from .run_log import RunLog
from .stage import Stage
from .worker_processes import start_worker, worker_context, worker_start_args

# "Pipeline" and "PlannedStage" below are runner.py's; not imported, since runner imports this module.

STOP_WAIT_S = 60  # how long a stopped worker may take to leave its checkpoint and records


def parallel_stages(cfg: DictConfig) -> int:
    """How many independent stages run at once (trainer.parallel_stages)."""
    return cpu_processes(cfg.trainer, cfg.trainer.parallel_stages)


def run_side_by_side(pipeline: "Pipeline", planned: list["PlannedStage"], tokens: dict[str, str], slots: int) -> None:
    """Runs the planned stages whose action is "run", each once its inputs are done, up to `slots`
    at once; `tokens` holds the finished (cached) stages' tokens and gains each new one."""
    pending = [p for p in planned if p.action == "run"]
    running: dict[Future, "PlannedStage"] = {}
    # Each worker gets its share of this process's threads, fixed when the pool starts.
    threads = max(1, torch.get_num_threads() // slots)
    worker_cfg = OmegaConf.merge(pipeline.cfg, {"trainer": {"progress_bar": False}})  # lines, not live bars
    pool: ProcessPoolExecutor | None = None
    shown: list[str] = []
    try:
        while pending or running:
            ready = [p for p in pending if all(n in tokens for n in p.stage.needs)]
            if not running and len(ready) == 1:  # nothing to run beside it: here, with every thread
                p = ready[0]
                pending.remove(p)
                tokens[p.stage.name] = pipeline._run_stage(p.stage, tokens, fresh=p.fresh)
                pipeline._check_config(p.stage)
                continue
            if not running and not ready:
                raise RuntimeError(f"stages {[p.stage.name for p in pending]} wait for inputs no stage will write")
            for p in ready[:slots - len(running)]:
                pending.remove(p)
                if pool is None:
                    pool = ProcessPoolExecutor(slots, mp_context=worker_context(), initializer=start_worker,
                                               initargs=worker_start_args(threads))
                running[pool.submit(_stage_in_worker, type(pipeline), worker_cfg, pipeline.stages, p.stage.name,
                                    dict(tokens), p.fresh)] = p
            names = [p.stage.name for p in running.values()]
            pipeline.current_stage = ", ".join(names)
            if len(names) > 1 and names != shown:
                pipeline.console.print(f"[dim]side by side ({threads} thread{'s' * (threads > 1)} each): "
                                       f"{', '.join(names)}[/]")
            shown = names
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                p = running.pop(future)
                pipeline.current_stage = p.stage.name  # named if its result is an error
                tokens[p.stage.name] = future.result()
                pipeline._check_config(p.stage)
    except BaseException:
        if pool is not None:
            _stop_workers(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """SIGTERM to every worker (each stage beside the failed one stops as an interrupted stage
    does, its records left for a resume), then wait for them to leave."""
    processes = list(getattr(pool, "_processes", {}).values())  # the pool gives no public handle
    for process in processes:
        if process.is_alive():
            process.terminate()
    # A worker outlives its task: told to shut down, each leaves once its stage has stopped.
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(STOP_WAIT_S)
        if process.is_alive():
            process.kill()


def _stage_in_worker(pipeline_class: type["Pipeline"], cfg: DictConfig, stages: list[Stage], name: str,
                     tokens: dict[str, str], fresh: bool) -> str:
    """One stage in a worker process, recorded as the runner records it; its token. The runner's
    class comes as an argument (pickled by reference): this module is the runner's to import."""
    console = Console(file=StagePrefixedLines(name, sys.stdout), width=120, soft_wrap=True)
    pipeline = pipeline_class(cfg, stages, console=console)
    with signals_raise_run_interrupted(), RunLog(pipeline.run_dir):
        try:
            return pipeline._run_stage(pipeline.by_name[name], tokens, fresh=fresh)
        except RunInterrupted as stop:
            stopped = stop  # the stage has left its records for a resume; the process leaves below
        except Exception as err:
            if _travels(err):
                raise
            # An error the parent could not rebuild would reach it as a broken pool, its message lost.
            raise RuntimeError(f"{type(err).__name__}: {err}") from None
    # Only the runner stops a worker (_stop_workers, or the signal that reached its whole process
    # group), and it is stopping already: back in the pool this process would wait for work, and
    # once a sibling idle worker has died of the same SIGTERM the pool is broken and sends no
    # shutdown, so the runner's join would wait out STOP_WAIT_S (60 s after every failed stage).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(stopped.exit_code)


def _travels(err: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(err))
        return True
    except Exception:
        return False


class StagePrefixedLines(io.TextIOBase):
    """A text stream that starts every line with `[stage]`: two stages' lines interleave on one
    console, and each must say whose it is."""

    def __init__(self, stage: str, stream) -> None:
        super().__init__()
        self.prefix, self.stream, self.at_line_start = f"[{stage}] ", stream, True

    def write(self, text: str) -> int:
        out = []
        for piece in text.splitlines(keepends=True):
            if self.at_line_start:
                out.append(self.prefix)
            out.append(piece)
            self.at_line_start = piece.endswith("\n")
        self.stream.write("".join(out))
        self.stream.flush()
        return len(text)

    def isatty(self) -> bool:
        return False  # plain lines: a live display would rewrite other stages' lines
