"""Where a run folder stands, for the commands that read a run after the fact (export, verify,
report, sweep): which stages are current for its config, which are outdated, missing or in
progress, and why. Read-only.

A command that reads a run after the fact must not mix results of two settings: after
`privgan run X --only walk walk.optim_steps=3` the walk holds the new paths while downstream
and privacy_audit still hold figures of the old ones. The runner's own notion decides
(`Pipeline.plan`, what `--dry-run` prints as "run", output digests included), for the run's
config.yaml, and a run in progress (its lock held) is refused whatever its records say.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from omegaconf import DictConfig
from rich.console import Console

from ..config.errors import ConfigError, RefusedError
from ..config.load import load_experiment
from .run_lock import lock_holder
from .runner import ATTEMPT, Pipeline, _read_json
from .stage import Stage
from .stage_table import load_stages

RUN_CONFIG = "config.yaml"


class RunNotCurrentError(RefusedError):
    """The run's results needed here are missing, outdated for its config, or being written now."""


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


def load_run_config(run_dir: Path, overrides: Sequence[str] = ()) -> DictConfig:
    """The run's resolved config.yaml, loaded as `privgan run` loads an experiment, with `overrides`."""
    path = Path(run_dir) / RUN_CONFIG
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a run folder (no {RUN_CONFIG}): give the folder of a run, "
                                "e.g. runs/demo")
    return load_experiment(path, list(overrides), base=path)


def _reading_pipeline(run_dir: Path, cfg: DictConfig, stages: Sequence[Stage]) -> Pipeline:
    pipeline = Pipeline(cfg, stages, console=Console(quiet=True))
    pipeline.run_dir = run_dir  # the folder as found (moved, or a sweep cell): plan() only reads
    return pipeline


def _holder_text(holder: dict) -> str:
    return (f"process {holder.get('pid', '?')} on host {holder.get('host', '?')} "
            f"(since {holder.get('started', '?')})")


def run_state(run_dir: str | Path, cfg: DictConfig | None = None, stages: Sequence[Stage] | None = None) -> RunState:
    """The state of every stage of the run in `run_dir` for `cfg` (default: the run's own
    config.yaml, as the runner wrote it when the run last started) and `stages` (default: the
    stage table). Raises FileNotFoundError for a folder without config.yaml."""
    run_dir = Path(run_dir)
    cfg = load_run_config(run_dir) if cfg is None else cfg
    if stages is None:
        stages = load_stages()
    pipeline = _reading_pipeline(run_dir, cfg, stages)
    holder = lock_holder(run_dir)
    in_use_by = None if holder is None else _holder_text(holder)
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


def with_needs(stages: Sequence[Stage], names: Iterable[str]) -> list[str]:
    """`names` and every stage they read, directly or not, in stage order."""
    by_name, wanted, todo = {s.name: s for s in stages}, set(), list(names)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(by_name[name].needs)
    return [s.name for s in stages if s.name in wanted]


def stages_not_current(run_dir: Path, stages: Sequence[Stage], names: Iterable[str]) -> list[tuple[str, str]]:
    """(stage, why) of each of `names` (and the stages they read) whose results in `run_dir` are not
    current for the run's config.yaml."""
    run_dir = Path(run_dir)
    pipeline = _reading_pipeline(run_dir, load_run_config(run_dir), stages)
    wanted = set(with_needs(stages, names))
    return [(name, why) for name, why in pipeline.not_current() if name in wanted]


def _listing(stale: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} ({why})" for name, why in stale)


def check_run_current(run_dir: Path, stages: Sequence[Stage], names: Iterable[str], purpose: str) -> None:
    """Refuse (RunNotCurrentError, naming the stage) a run in progress, or one whose `names` (and the
    stages they read) are not all current; `purpose` says what was asked ('export a release of it')."""
    names = list(names)
    holder = lock_holder(run_dir)  # first: a running stage may have removed the very files read below
    if holder is not None:
        try:
            stale = stages_not_current(run_dir, stages, names)
        except (ConfigError, OSError):
            stale = []
        at = f" at stage '{stale[0][0]}'" if stale else ""
        raise RunNotCurrentError(
            f"{run_dir} is in progress{at} ({_holder_text(holder)} holds its lock): its results are being "
            f"replaced; wait for the run to finish, then {purpose}")
    stale = stages_not_current(run_dir, stages, names)
    if stale:
        raise RunNotCurrentError(
            f"{run_dir}: stage '{stale[0][0]}' is not current for the run's config.yaml, so its results and those "
            f"after it do not belong together: {_listing(stale)}. Finish the run first (privgan run with its "
            f"experiment and the same overrides; --dry-run lists what it would run), then {purpose}")
