"""A replicate set: runs/<name>-replicates/ with one ordinary run folder per replicate (r00,
r01, ...), a `shared/` run folder holding the one data stage they all link, and
replicates.json recording every replicate's seeds. Built and checked here; nothing is run."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table

from .internals import DATA_STAGE, ConfigError, Pipeline, Stage, load_experiment, write_json_atomic
from .seeds import RULE, replicate_folder, replicate_seed, stage_seeds

SHARED = "shared"  # the run folder of the shared data stage
RECORD_FILE = "replicates.json"
SET_BY_REPLICATE = ("replicate.index", "replicate.data_seed")


def replicate_set_folder(cfg: DictConfig) -> Path:
    """runs/<name>-replicates, beside where `privgan run` would put runs/<name>."""
    return Path(cfg.runs_root) / f"{cfg.name}-replicates"


@dataclass
class ReplicateSet:
    experiment: Path
    overrides: list[str]
    folder: Path
    base_seed: int
    configs: list[DictConfig]  # one per replicate, index order
    shared_config: DictConfig  # the shared/ folder's: the base seed, the data stage's settings of every replicate
    stages: list[Stage]

    @property
    def count(self) -> int:
        return len(self.configs)

    def replicate_dir(self, index: int) -> Path:
        return self.folder / replicate_folder(index)

    @property
    def shared_dir(self) -> Path:
        return self.folder / SHARED

    def status(self, index: int) -> str:
        """'done', 'partly done' or 'to run', from the replicate folder's records (reads only)."""
        if not self.replicate_dir(index).is_dir():
            return "to run"
        planned = Pipeline(self.configs[index], self.stages, console=Console(quiet=True)).plan()
        done = sum(p.action == "cached" for p in planned)
        return "done" if done == len(planned) else ("partly done" if done else "to run")

    def record(self) -> dict:
        return {"experiment": str(self.experiment), "overrides": self.overrides, "base_seed": self.base_seed,
                "count": self.count, "rule": RULE, "shared_stages": [DATA_STAGE], "shared_folder": SHARED,
                "replicates": [{"index": i, "folder": replicate_folder(i), "seed": int(cfg.seed),
                                "stage_seeds": stage_seeds(int(cfg.seed), self.base_seed)}
                               for i, cfg in enumerate(self.configs)]}

    def write_record(self) -> Path:
        path = self.folder / RECORD_FILE
        write_json_atomic(path, self.record())
        return path


def prepare_replicates(experiment: str | Path, count: int | None, overrides: Sequence[str], stages: list[Stage],
                       out: str | Path | None = None, base: str | Path | None = None) -> ReplicateSet:
    """Check the experiment and the overrides and build every replicate's config; writes nothing."""
    for o in overrides:  # name=, runs_root= and seed= are the set's: runs/<name>-replicates, the base seed
        key = o.split("=", 1)[0]
        if key in SET_BY_REPLICATE:
            raise ConfigError(f"Configuration error on the command line: {key} is set by privgan replicate in each "
                              "replicate's config; choose the replicates with --replicates and --index")
    base_cfg = load_experiment(experiment, overrides, base=base)
    if base_cfg.replicate.index is not None or base_cfg.replicate.data_seed is not None:
        raise ConfigError(f"Configuration error in {experiment}: replicate.index and replicate.data_seed are set by "
                          "privgan replicate in each replicate's config; leave them null in the experiment")
    count = int(base_cfg.replicate.count if count is None else count)
    if count < 1:
        raise ConfigError(f"Configuration error on the command line: --replicates must be at least 1, got {count}")
    folder = Path(out) if out else replicate_set_folder(base_cfg)
    base_seed = int(base_cfg.seed)
    configs = [load_experiment(experiment, [*overrides, f"seed={replicate_seed(base_seed, i)}",
                                            f"replicate.index={i}", f"replicate.data_seed={base_seed}",
                                            f"replicate.count={count}", f"runs_root={folder}",
                                            f"name={replicate_folder(i)}"], base=base)
               for i in range(count)]
    shared = load_experiment(experiment, [*overrides, f"replicate.data_seed={base_seed}", f"runs_root={folder}",
                                          f"name={SHARED}"], base=base)
    return ReplicateSet(Path(experiment), list(overrides), folder, base_seed, configs, shared, stages)


def print_replicates(rs: ReplicateSet, console: Console, indices: Sequence[int] | None = None) -> None:
    table = Table(title=f"{rs.count} replicates of {rs.experiment} -> {rs.folder} (data stage shared: {rs.shared_dir})")
    for col in ("replicate", "folder", "seed", "data seed", "status"):
        table.add_column(col)
    for i in indices if indices is not None else range(rs.count):
        table.add_row(str(i), rs.replicate_dir(i).name, str(rs.configs[i].seed), str(rs.base_seed), rs.status(i))
    console.print(table)
    console.print(f"[dim]seed rule: {RULE}; every seed is recorded in {rs.folder / RECORD_FILE} and each replicate's "
                  "config.yaml[/]", soft_wrap=True)
