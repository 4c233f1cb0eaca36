"""Whether a run folder's results may be read as one finished whole (export, verify, report).

A command that reads a run after the fact must not mix results of two settings: after
`privgan run X --only walk walk.optim_steps=3` the walk holds the new paths while downstream
and privacy_audit still hold figures of the old ones. The runner's own notion decides
(`Pipeline.not_current`, what `--dry-run` prints as "run"), for the run's config.yaml, and a
run in progress (its lock held) is refused whatever its records say.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from rich.console import Console

from ..config.errors import ConfigError, RefusedError
from .run_lock import lock_holder
from .runner import Pipeline
from .stage import Stage

RUN_CONFIG = "config.yaml"


class RunNotCurrentError(RefusedError):
    """The run's results needed here are missing, outdated for its config, or being written now."""


def load_run_config(run_dir: Path):
    """The run's resolved config.yaml, loaded as `privgan run` loads an experiment."""
    from ..config.load import load_experiment

    path = Path(run_dir) / RUN_CONFIG
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a run folder (no {RUN_CONFIG})")
    return load_experiment(path, [], base=path)


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
    pipeline = Pipeline(load_run_config(run_dir), stages, console=Console(quiet=True))
    pipeline.run_dir = run_dir  # the folder as found (it may have been moved since it ran); plan() only reads
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
            f"{run_dir} is in progress{at} (process {holder.get('pid', '?')} on host {holder.get('host', '?')} "
            f"holds its lock since {holder.get('started', '?')}): its results are being replaced; wait for the run "
            f"to finish, then {purpose}")
    stale = stages_not_current(run_dir, stages, names)
    if stale:
        raise RunNotCurrentError(
            f"{run_dir}: stage '{stale[0][0]}' is not current for the run's config.yaml, so its results and those "
            f"after it do not belong together: {_listing(stale)}. Finish the run first (privgan run with its "
            f"experiment and the same overrides; --dry-run lists what it would run), then {purpose}")
