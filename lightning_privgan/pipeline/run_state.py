"""Where a run folder stands: which stages are current for its config, which are outdated,
missing or in progress, and why. Read-only; for the commands that use a run after the fact
(export and verify refuse a run that is not complete and current)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from omegaconf import DictConfig
from rich.console import Console

from .run_lock import lock_holder
from .runner import ATTEMPT, Pipeline, _read_json
from .stage import Stage

CONFIG = "config.yaml"


@dataclass(frozen=True)
class StageState:
    name: str
    state: str  # "current" | "outdated" | "missing" | "in progress"
    why: str


@dataclass(frozen=True)
class RunState:
    run_dir: Path
    stages: list[StageState]
    in_use_by: str | None  # "process <pid> on host <host> (since ...)" while a run holds the folder

    @property
    def all_current(self) -> bool:
        return self.in_use_by is None and all(s.state == "current" for s in self.stages)

    def problem(self) -> str | None:
        """One sentence naming the first stage (or the run) that keeps it from being complete
        and current for its config.yaml; None when it is."""
        busy = next((s for s in self.stages if s.state == "in progress"), None)
        if self.in_use_by is not None:
            where = f" (stage '{busy.name}')" if busy else ""
            return f"{self.run_dir} is in use by {self.in_use_by}{where}; wait for that run to finish"
        stale = next((s for s in self.stages if s.state != "current"), None)
        if stale is None:
            return None
        return (f"stage '{stale.name}' of {self.run_dir} is {stale.state} ({stale.why}); "
                f"finish the run first (privgan run <experiment> with the same settings)")


def run_state(run_dir: str | Path, cfg: DictConfig | None = None, stages: Sequence[Stage] | None = None) -> RunState:
    """The state of every stage of the run in `run_dir` for `cfg` (default: the run's own
    config.yaml, as the runner wrote it when the run last started) and `stages` (default: the
    stage table). Raises FileNotFoundError for a folder without config.yaml."""
    run_dir = Path(run_dir)
    if cfg is None:
        from ..config.load import load_experiment

        path = run_dir / CONFIG
        if not path.is_file():
            raise FileNotFoundError(f"{run_dir} is not a run folder (no {CONFIG})")
        cfg = load_experiment(path, (), base=path)
    if stages is None:
        from ..stages import load_stages

        stages = load_stages()
    pipeline = Pipeline(cfg, stages, console=Console(quiet=True))
    pipeline.run_dir = run_dir  # the folder as it is now (moved, or a sweep cell): plan() only reads
    holder = lock_holder(run_dir)
    in_use_by = None if holder is None else (f"process {holder.get('pid', '?')} on host {holder.get('host', '?')} "
                                             f"(since {holder.get('started', '?')})")
    states: list[StageState] = []
    not_current: list[str] = []
    for p in pipeline.plan():
        name, rec = p.stage.name, pipeline.record(p.stage.name)
        if p.action == "cached":
            states.append(StageState(name, "current", "results current"))
            continue
        stale_inputs = [n for n in p.stage.needs if n in not_current]
        not_current.append(name)
        attempt = _read_json(run_dir / name / ATTEMPT)
        if rec is None and attempt is not None and in_use_by is not None:
            states.append(StageState(name, "in progress", f"being run by {in_use_by}"))
        elif rec is None:
            states.append(StageState(name, "missing", "interrupted before it finished" if attempt else "never run"))
        elif stale_inputs:
            states.append(StageState(name, "outdated", f"it read {', '.join(stale_inputs)}, which is not current"))
        else:
            states.append(StageState(name, "outdated", p.reason))
    return RunState(run_dir, states, in_use_by)
