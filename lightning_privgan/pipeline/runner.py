"""Runs an experiment's stages in order, skipping those whose results are current.

A stage is current when its folder holds `stage.json` with the hash of its settings
and of the tokens of the stages it read, and its output files still match the digests
recorded there (pipeline/output_digests.py). The run folder and every record carry the run
format version (run_format.py); a folder of another version is refused before anything is read
or written. A stage that crashed leaves `attempt.json`
only: running it again with the same hash keeps the folder (training resumes from
last.ckpt); a different hash clears it, since its partial outputs belong to other settings.
A stage run again after it finished (--force, or its outputs changed) starts from nothing:
its folder, checkpoints included, is cleared first.
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.table import Table

from ..config.errors import ConfigError
from ..core.atomic import remove_stale_temporaries, write_json_atomic, write_text_atomic
from ..core.distributed import is_global_zero, job_id, start_job, wait_for
from ..core.hashing import config_slice, stage_hash
from .concurrent_stages import parallel_stages, run_side_by_side
from .output_digests import DIGESTS, changed_output, output_digests
from .run_format import FORMAT_KEY, RUN_FORMAT_VERSION, check_record_format, check_run_format, write_run_format
from .run_lock import RunLock
from .stage import Stage, StageContext

log = logging.getLogger(__name__)
RECORD = "stage.json"
ATTEMPT = "attempt.json"


@dataclass
class PlannedStage:
    stage: Stage
    action: str  # "run" | "cached" | "skip"
    reason: str
    fresh: bool = False  # run from nothing, not resumed from what an earlier attempt left (--force)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


def _is_for(record: dict | None, want: str, job: str | None) -> bool:
    """`record` (an attempt or completion record) has hash `want` and, when `job` is given, was
    written by that DDP job."""
    return record is not None and record.get("hash") == want and (job is None or record.get("job") == job)


class Pipeline:
    def __init__(self, cfg: DictConfig, stages: Sequence[Stage], console: Console | None = None):
        self.cfg = cfg
        self.stages = list(stages)
        self.by_name = {s.name: s for s in self.stages}
        self.run_dir = Path(cfg.runs_root) / cfg.name
        self.console = console or Console()
        self.current_stage: str | None = None  # the stage running now, named in an error message
        check_run_format(self.run_dir)
        for i, stage in enumerate(self.stages):
            earlier = {s.name for s in self.stages[:i]}
            missing = [n for n in stage.needs if n not in earlier]
            if missing:
                raise ValueError(f"stage {stage.name!r} needs {missing}, which are not earlier stages")

    # -- records ---------------------------------------------------------------
    def record(self, name: str) -> dict | None:
        rec = _read_json(self.run_dir / name / RECORD)
        if rec is not None:
            check_record_format(self.run_dir / name / RECORD, rec)
        return rec

    def _hash(self, stage: Stage, tokens: dict[str, str], settings: dict) -> str:
        return stage_hash(stage.name, settings, {n: tokens.get(n, "pending") for n in stage.needs})

    def expected_hash(self, stage: Stage, tokens: dict[str, str]) -> str:
        settings = stage.settings(self.cfg) if stage.settings else config_slice(self.cfg, stage.config_keys)
        return self._hash(stage, tokens, settings)

    def is_current(self, stage: Stage, rec: dict | None, tokens: dict[str, str]) -> bool:
        """The record holds this stage's results for these settings and inputs."""
        return rec is not None and rec.get("hash") == self.expected_hash(stage, tokens)

    def changed_outputs(self, stage: Stage, rec: dict | None) -> str | None:
        """How the stage's output files differ from those its record describes (naming the
        file), or None. A record without digests (an earlier version's) is taken as it is."""
        if rec is None or DIGESTS not in rec:
            return None
        return changed_output(stage.outputs(self.run_dir / stage.name), rec[DIGESTS])

    # -- planning --------------------------------------------------------------
    def check_stage_names(self, only: Iterable[str] = (), start: str | None = None, force: Iterable[str] = ()) -> None:
        """ConfigError (exit 2) naming an unknown stage of --only, --from or --force; the CLI calls
        this before it prints or creates anything."""
        for option, names in (("--only", only), ("--from", [start] if start else []), ("--force", force)):
            for n in names:
                if n not in self.by_name:
                    raise ConfigError(f"error: {option} {n}: unknown stage; stages are: {', '.join(self.by_name)}")

    def _selected(self, only: Iterable[str], start: str | None) -> set[str]:
        names = [s.name for s in self.stages]
        if only:
            return set(only)
        if start:
            return set(names[names.index(start):])
        return set(names)

    def plan(self, only: Iterable[str] = (), start: str | None = None, force: Iterable[str] = ()) -> list[PlannedStage]:
        check_run_format(self.run_dir)  # again: a caller may have pointed run_dir elsewhere since
        only, force = list(only), set(force)
        self.check_stage_names(only, start, force)
        selected = self._selected(only, start)
        tokens: dict[str, str] = {}
        planned: list[PlannedStage] = []
        for stage in self.stages:
            rec = self.record(stage.name)
            want = self.expected_hash(stage, tokens)
            current = self.is_current(stage, rec, tokens)
            changed = self.changed_outputs(stage, rec) if current else None
            current = current and changed is None
            stale_input = any(tokens.get(n) == "pending" for n in stage.needs)
            if stage.name not in selected:
                if current:
                    tokens[stage.name] = rec["token"]
                    planned.append(PlannedStage(stage, "cached", "not selected; results current"))
                else:
                    tokens[stage.name] = "pending"
                    why = changed or "results missing or outdated"
                    planned.append(PlannedStage(stage, "skip", f"not selected; {why}"))
                continue
            if stage.name in force:
                action, reason = "run", "forced"
            elif current and not stale_input:
                action, reason = "cached", "results current"
            elif stale_input:
                action, reason = "run", "an input will be recomputed"
            elif changed:
                action, reason = "run", changed
            elif rec is None:
                attempt = _read_json(self.run_dir / stage.name / ATTEMPT)
                resumable = attempt is not None and attempt.get("hash") == want
                action, reason = "run", "resume interrupted run" if resumable else "no results yet"
            else:
                action, reason = "run", "settings or inputs changed"
            tokens[stage.name] = rec["token"] if action == "cached" else "pending"
            # Forced, or a finished stage run again: from nothing, never resumed from its old folder.
            planned.append(PlannedStage(stage, action, reason, fresh=stage.name in force or rec is not None))
        for p in planned:
            if p.action == "run":
                blocked = [n for n in p.stage.needs if next(q for q in planned if q.stage.name == n).action == "skip"]
                if blocked:
                    why = next(q for q in planned if q.stage.name == blocked[0]).reason.removeprefix("not selected; ")
                    raise ValueError(
                        f"stage {p.stage.name!r} needs {', '.join(blocked)}, whose results are missing or outdated "
                        f"({blocked[0]}: {why}); run them first (e.g. --from {blocked[0]})"
                    )
        return planned

    def not_current(self) -> list[tuple[str, str]]:
        """(stage, why) for every stage whose results are not current for this config and its
        inputs: the stages a plain `privgan run` would run, as `--dry-run` prints them. Reads only."""
        return [(p.stage.name, p.reason) for p in self.plan() if p.action == "run"]

    def print_plan(self, planned: list[PlannedStage]) -> None:
        table = Table(title=f"stages of {self.cfg.name} -> {self.run_dir}")
        for col in ("stage", "action", "why"):
            table.add_column(col)
        style = {"run": "bold green", "cached": "cyan", "skip": "dim"}
        for p in planned:
            table.add_row(p.stage.name, f"[{style[p.action]}]{p.action}[/]", p.reason)
        self.console.print(table)

    # -- running ---------------------------------------------------------------
    def write_config(self) -> None:
        if is_global_zero():
            write_run_format(self.run_dir)  # first: config.yaml makes the folder a run folder
            write_text_atomic(self.run_dir / "config.yaml", OmegaConf.to_yaml(self.cfg, resolve=True))

    def run(self, only: Iterable[str] = (), start: str | None = None, force: Iterable[str] = ()) -> list[PlannedStage]:
        planned = self.plan(only, start, force)
        start_job()  # before Lightning's launcher starts the other ranks with this environment
        if not is_global_zero():  # the other ranks of a DDP job belong to the run rank 0 locked
            return self._run_planned(planned)
        with RunLock(self.run_dir):
            # Temporary files of a killed run: safe to delete now that no other process writes here.
            for tmp in remove_stale_temporaries(self.run_dir):
                self.console.print(f"[dim]removed {tmp.relative_to(self.run_dir)}, left by an interrupted run[/]")
            return self._run_planned(planned)

    def _run_planned(self, planned: list[PlannedStage]) -> list[PlannedStage]:
        self.write_config()
        if is_global_zero():
            self.print_plan(planned)
        tokens: dict[str, str] = {}
        slots = parallel_stages(self.cfg)
        for p in planned:
            if p.action != "run":
                rec = self.record(p.stage.name)
                if rec:
                    tokens[p.stage.name] = rec["token"]
                    self._check_config(p.stage)
                continue
            if slots == 1:
                tokens[p.stage.name] = self._run_stage(p.stage, tokens, fresh=p.fresh)
                self._check_config(p.stage)
        if slots > 1:  # each stage once its inputs are done, independent ones side by side
            run_side_by_side(self, planned, tokens, slots)
        return planned

    def _check_config(self, stage: Stage) -> None:
        """Settings checked against a finished stage's results (anchors.k against the data
        stage's class counts), before the later stages spend any time."""
        if stage.check_config is not None:
            stage.check_config(self.cfg, stage.outputs(self.run_dir / stage.name))

    def _run_stage(self, stage: Stage, tokens: dict[str, str], fresh: bool = False) -> str:
        want = self.expected_hash(stage, tokens)
        folder = self.run_dir / stage.name
        self.current_stage = stage.name
        # A fresh stage's folder still holds the previous attempt's records until rank 0 clears
        # it: the other ranks wait for this job's (and resume nothing from the old checkpoint).
        job = job_id() if fresh else None
        if not is_global_zero() and not stage.distributed:
            return self._wait_for_record(stage.name, want, job)
        if is_global_zero():
            attempt = _read_json(folder / ATTEMPT)
            # Only an interrupted attempt at these settings resumes. Outputs of other settings,
            # and a finished stage's folder (forced, or its files changed), must not be trusted
            # or resumed: a Lightning fit would restore last.ckpt and train nothing.
            resumable = not fresh and not (folder / RECORD).exists() and (attempt or {}).get("hash") == want
            if folder.exists() and not resumable:
                shutil.rmtree(folder)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / RECORD).unlink(missing_ok=True)
            write_json_atomic(folder / ATTEMPT, {"hash": want, "job": job_id(), FORMAT_KEY: RUN_FORMAT_VERSION})
        else:
            wait_for(lambda: _is_for(_read_json(folder / ATTEMPT), want, job), f"stage {stage.name} to start")
        self.console.rule(f"[bold]{stage.name}[/] {stage.description}")
        log.info("stage %s started (settings hash %s)", stage.name, want)
        started = time.time()
        outputs_of = {s.name: s.outputs for s in self.stages}
        stage.run(StageContext(cfg=self.cfg, run_dir=self.run_dir, name=stage.name, console=self.console,
                               needs=stage.needs, outputs_of=outputs_of))
        seconds = time.time() - started
        if is_global_zero():
            missing = stage.outputs(folder).missing()
            if missing:  # later stages would fail on them, or a cached record would lie
                raise RuntimeError(f"stage {stage.name!r} finished without writing {', '.join(missing)} in {folder}")
            token = f"{want}:{time.time_ns()}"
            digests = output_digests(stage.outputs(folder))
            write_json_atomic(folder / RECORD, {"hash": want, "token": token, "seconds": round(seconds, 1),
                                                "job": job_id(), DIGESTS: digests,
                                                FORMAT_KEY: RUN_FORMAT_VERSION})
            self.console.print(f"[green]✓[/] {stage.name} done in {seconds:.1f} s")
            log.info("stage %s done in %.1f s", stage.name, seconds)
            return token
        return self._wait_for_record(stage.name, want, job)

    def _wait_for_record(self, name: str, want: str, job: str | None = None) -> str:
        """A non-zero rank blocks until rank 0 has recorded stage `name` with hash `want`; its token."""
        wait_for(lambda: _is_for(self.record(name), want, job), f"stage {name}")
        return self.record(name)["token"]  # type: ignore[index]
