"""`privgan sweep RUN_DIR`: re-run walk and the stages after it over the grid, from a finished run.

Every cell is an ordinary run folder, <out>/<cell>/, with the finished run's upstream stage
folders hard-linked in (cell_folder.py); the pipeline's own cache then skips those stages,
resumes an interrupted cell, and does nothing for a finished one. All the checks (the
finished run is current, the overrides leave the upstream stages alone) come before any
cell starts, so a mistake costs no compute.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd
from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table

from ..config.errors import RefusedError
from ..pipeline.run_log import RunLog
from ..pipeline.run_state import load_run_config, run_state, stages_not_current
from ..pipeline.runner import Pipeline
from ..pipeline.stage import Stage
from .cell_folder import link_upstream, sweep_folder
from .collect import baseline_rows, cell_row, sweep_table
from .grid import SweepCell
from .sweep_report import write_sweep_outputs

FIRST_SWEPT_STAGE = "walk"
# Only PLAN changes with λ_priv and optim_steps: real, k-same and linear would train the same
# classifiers in every cell, so the cells train PLAN only and take the others from the finished run.
CELL_SOURCES = "downstream.sources=[plan]"
SET_BY_SWEEP = ("walk.lambda_priv", "walk.optim_steps", "downstream.sources", "runs_root", "name")


class CellFailed(RuntimeError):
    def __init__(self, cell: SweepCell, stage: str | None, log: Path):
        self.cell, self.stage, self.log = cell, stage, log
        super().__init__(f"sweep cell {cell.name} failed; the traceback is in {log}")


@dataclass
class SweepSetup:
    finished_run: Path
    out: Path
    cells: list[SweepCell]
    configs: dict[str, DictConfig]  # cell name -> its config
    stages: list[Stage]

    @property
    def upstream(self) -> list[str]:
        names = [s.name for s in self.stages]
        return names[: names.index(FIRST_SWEPT_STAGE)]

    def cell_dir(self, cell: SweepCell) -> Path:
        return self.out / cell.name


def prepare_sweep(finished_run: Path, cells: list[SweepCell], out: Path | None, overrides: Sequence[str],
                  stages: list[Stage]) -> SweepSetup:
    """Check everything and build each cell's config; writes nothing."""
    finished_run = Path(finished_run)
    out = Path(out) if out else sweep_folder(finished_run)
    if out.resolve() == finished_run.resolve() or finished_run.resolve() in out.resolve().parents:
        raise ValueError(f"the sweep folder {out} is inside the finished run {finished_run}; choose one outside it")
    for o in overrides:
        key = o.split("=", 1)[0]
        if key in SET_BY_SWEEP:
            raise ValueError(f"override {o!r}: {key} is set by the sweep itself (the grid: --lambda-priv, "
                             f"--optim-steps; the folder: --out)")
    names = [s.name for s in stages]
    stale = stages_not_current(finished_run, stages, names)
    if stale:
        raise ValueError(f"{finished_run} is not a finished run: stage '{stale[0][0]}' is not current ({stale[0][1]}) "
                         f"for its config.yaml; finish the run (privgan run) before sweeping it")
    setup = SweepSetup(finished_run, out, cells, {}, stages)
    for cell in cells:
        cfg = load_run_config(finished_run, [*overrides, *cell.overrides(), CELL_SOURCES,
                                             f"runs_root={out}", f"name={cell.name}"])
        if not {"linear", "plan"} <= set(cfg.walk.methods):
            raise ValueError(f"walk.methods of {finished_run} is {list(cfg.walk.methods)}: the sweep needs both "
                             "linear and plan (PLAN is what it varies, linear the paired reference)")
        if cfg.trainer.devices * cfg.trainer.num_nodes != 1:
            raise ValueError("privgan sweep runs its cells in one process on one device: add trainer.devices=1 "
                             "trainer.num_nodes=1")
        stale = [s for s in run_state(finished_run, cfg, stages).stages if s.name in setup.upstream and s.state != "current"]
        if stale:
            raise ValueError(f"stage '{stale[0].name}' of {finished_run} is not current for the sweep's settings "
                             f"({stale[0].why}); the sweep re-runs only {FIRST_SWEPT_STAGE} and later stages: drop the "
                             f"override that changes '{stale[0].name}' or re-run the finished run with it")
        setup.configs[cell.name] = cfg
    return setup


def cell_status(setup: SweepSetup, cell: SweepCell) -> str:
    """'done', 'partly done' or 'to run', from the cell folder's records (reads only)."""
    cell_dir = setup.cell_dir(cell)
    if not cell_dir.is_dir():
        return "to run"
    pipeline = Pipeline(setup.configs[cell.name], setup.stages, console=Console(quiet=True))
    swept = [p for p in pipeline.plan(only=[setup.stages[0].name]) if p.stage.name not in setup.upstream]
    done = sum(p.action == "cached" for p in swept)
    return "done" if done == len(swept) else ("partly done" if done else "to run")


def print_grid(setup: SweepSetup, console: Console) -> None:
    table = Table(title=f"sweep of {setup.finished_run} -> {setup.out}")
    for col in ("cell", "λ_priv", "optim_steps", "status"):
        table.add_column(col)
    for cell in setup.cells:
        table.add_row(cell.name, f"{cell.lambda_priv:g}", str(cell.optim_steps), cell_status(setup, cell))
    console.print(table)


def run_cell(setup: SweepSetup, cell: SweepCell, console: Console) -> None:
    cell_dir = setup.cell_dir(cell)
    link_upstream(setup.finished_run, cell_dir, setup.upstream)
    pipeline = Pipeline(setup.configs[cell.name], setup.stages, console=console)
    console.rule(f"[bold]sweep cell {cell.name}[/] (λ_priv {cell.lambda_priv:g}, optim_steps {cell.optim_steps})")
    with RunLog(cell_dir) as run_log:
        try:
            pipeline.run(start=FIRST_SWEPT_STAGE)
        except Exception as err:
            run_log.logger.exception("sweep cell %s: stage %s failed", cell.name, pipeline.current_stage)
            raise CellFailed(cell, pipeline.current_stage, run_log.path) from err


def collect(setup: SweepSetup) -> tuple[list[dict], list[str]]:
    """Rows of the finished cells and the finished run's baseline; names of unfinished cells."""
    rows, missing = [], []
    for cell in setup.cells:
        if cell_status(setup, cell) == "done":
            rows.append(cell_row(setup.cell_dir(cell), cell))
        else:
            missing.append(cell.name)
    return rows + baseline_rows(setup.finished_run), missing


def run_sweep(setup: SweepSetup, console: Console) -> Path:
    """Run every cell not yet done, then write sweep.csv/png/md; the path of sweep.md."""
    for cell in setup.cells:
        run_cell(setup, cell, console)
    return write_report(setup, console)


def write_report(setup: SweepSetup, console: Console | None = None) -> Path:
    """sweep.csv/png/md of the cells done; refused (RefusedError) while none is, since a report of no
    cell would replace one that had some. Cells an earlier sweep.csv held and this grid leaves out are
    named on `console`."""
    if not any(cell_status(setup, cell) == "done" for cell in setup.cells):  # before reading anything
        missing = [cell.name for cell in setup.cells]
        listing = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        raise RefusedError(f"none of the {len(setup.cells)} cells of this grid has finished ({listing}): sweep.csv "
                           f"and sweep.md in {setup.out} were left as they were; run privgan sweep without "
                           f"--report-only to run the cells")
    rows, missing = collect(setup)
    dropped = sorted(set(previous_cells(setup.out)) - {r["cell"] for r in rows})
    if dropped and console is not None:
        console.print(f"[yellow]warning:[/] {setup.out / 'sweep.csv'} held the cells {', '.join(dropped)}, which this "
                      "grid does not have finished; the new sweep.csv leaves them out (their folders are kept)")
    return write_sweep_outputs(sweep_table(rows), setup.out, setup.finished_run, missing)


def previous_cells(out: Path) -> list[str]:
    """The PLAN cells of the sweep.csv already in `out` (none when there is none, or it is unreadable)."""
    try:
        table = pd.read_csv(out / "sweep.csv")
        return [str(c) for c in table.loc[table["source"] == "plan", "cell"]]
    except (OSError, ValueError, KeyError):
        return []
