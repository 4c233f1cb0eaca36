"""Run a replicate set: the shared data stage once, then each replicate as an ordinary run.

Each replicate folder gets the shared data stage hard-linked in (sweep/cell_folder.py), so
the runner finds it current and draws everything after it with the replicate's seeds; the
runner's own cache skips a finished replicate and resumes an interrupted one. Under a SLURM
array every task runs one replicate (--index); the first to reach the shared data stage
runs it while the others wait on its lock.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

from rich.console import Console

from .internals import DATA_STAGE, RECORD, Pipeline, RunLockedError, RunLog, is_global_zero, link_upstream, wait_for
from .replicate_set import ReplicateSet

LOCK_POLL_S = 10.0

class ReplicateFailed(RuntimeError):
    def __init__(self, index: int, stage: str | None, log: Path):
        self.index, self.stage, self.log = index, stage, log
        super().__init__(f"replicate {index} failed; the traceback is in {log}")

def ensure_shared_data(rs: ReplicateSet, console: Console, poll_s: float = LOCK_POLL_S) -> None:
    """The shared data stage, run (or found cached) in rs.shared_dir; waits while another
    process (another array task) holds that folder."""
    pipeline = Pipeline(rs.shared_config, rs.stages, console=console)
    while True:
        try:
            pipeline.run(only=[DATA_STAGE])
            return
        except RunLockedError as err:
            console.print(f"[dim]{err}; waiting {poll_s:.0f} s[/]", soft_wrap=True)
            time.sleep(poll_s)

def run_replicate(rs: ReplicateSet, index: int, console: Console) -> None:
    folder = rs.replicate_dir(index)
    if is_global_zero():  # the other ranks of a DDP replicate wait for rank 0's links
        link_upstream(rs.shared_dir, folder, [DATA_STAGE])
    else:
        wait_for(lambda: (folder / DATA_STAGE / RECORD).is_file(), f"the shared data stage linked into {folder}")
    pipeline = Pipeline(rs.configs[index], rs.stages, console=console)
    data = next(p for p in pipeline.plan() if p.stage.name == DATA_STAGE)
    if data.action != "cached":  # the data settings of the replicate and of shared/ must agree
        raise RuntimeError(f"the shared data stage {rs.shared_dir / DATA_STAGE} is not current for replicate "
                           f"{index} ({data.reason}); the replicates would not share one split")
    console.rule(f"[bold]replicate {index}[/] of {rs.count} (seed {rs.configs[index].seed}) -> {folder}")
    with RunLog(folder) as run_log:
        try:
            pipeline.run()
        except Exception as err:
            run_log.logger.exception("replicate %d: stage %s failed", index, pipeline.current_stage)
            raise ReplicateFailed(index, pipeline.current_stage, run_log.path) from err

def run_replicates(rs: ReplicateSet, console: Console, indices: Sequence[int] | None = None) -> list[int]:
    """Run the replicates `indices` (default: all) not yet done; the indices it ran."""
    indices = list(range(rs.count)) if indices is None else list(indices)
    for i in indices:
        if not 0 <= i < rs.count:
            raise ValueError(f"replicate index {i} is outside 0..{rs.count - 1} (--replicates {rs.count})")
    if is_global_zero():
        rs.folder.mkdir(parents=True, exist_ok=True)
        rs.write_record()
    ensure_shared_data(rs, console)
    ran = []
    for i in indices:
        if rs.status(i) == "done":
            console.print(f"replicate {i} ({rs.replicate_dir(i)}) is done: skipped")
            continue
        run_replicate(rs, i, console)
        ran.append(i)
    return ran
