"""`privgan replicate` with stand-in stages (the real ten names, milliseconds each): every
replicate draws its own seeds in every stage but the shared, hard-linked data stage; the seeds
are recorded; an interrupted set resumes where it stopped; --dry-run lists the replicates."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from omegaconf import OmegaConf
from rich.console import Console

from lightning_privgan.cli import main
from lightning_privgan.core.atomic import write_text_atomic
from lightning_privgan.core.seeds import derive_seed
from lightning_privgan.pipeline.stage import Stage
from lightning_privgan.replicate.replicate_report import write_set_report
from lightning_privgan.replicate.replicate_set import prepare_replicates
from lightning_privgan.replicate.run_replicates import ReplicateFailed, run_replicates
from lightning_privgan.replicate.seeds import replicate_seed
from lightning_privgan.stages import STAGE_ORDER
from lightning_privgan.stages.data import data_seed, data_settings
from tests.helpers.replicate_fixtures import fabricate_replicate, shifted_paths
from tests.helpers.sweep_cells import KEYS

BASE = os.path.join(os.path.dirname(__file__), "..", "..", "experiments", "base.yaml")
QUIET = Console(quiet=True)


def stand_ins(calls: list[str], fail: set[str] = frozenset()) -> list[Stage]:
    """Each stage records the seed it draws from (the data stage by the real rule); the report
    stage writes what the report across replicates reads, its values from the replicate's seed."""
    def body(name):
        def run(ctx):
            calls.append(f"{ctx.cfg.name}:{name}")
            if f"{ctx.cfg.name}:{name}" in fail:
                raise RuntimeError(f"{name} crashed")
            seed = derive_seed(data_seed(ctx.cfg), "data") if name == "data" else ctx.seed()
            write_text_atomic(ctx.out / "seed.txt", str(seed))
            if name == "report":
                rng = np.random.default_rng(ctx.cfg.seed)
                shift = float(rng.normal(-0.1, 0.01))
                linear, plan = shifted_paths(rng, shift, rng.normal(0, 0.01, 4))
                fabricate_replicate(ctx.run_dir, [{"source": "plan", "acc_mean": float(rng.random())}],
                                    {"plan": rng.random(2).tolist()}, linear, plan)
        return run

    stages, earlier = [], ()
    for name in STAGE_ORDER:
        settings = data_settings if name == "data" else None
        stages.append(Stage(name, body(name), needs=earlier, config_keys=KEYS[name], settings=settings))
        earlier = (*earlier, name)
    return stages


@pytest.fixture
def experiment(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(f"name: tiny\nruns_root: {tmp_path / 'runs'}\nseed: 7\n")
    return path


def _seed_of(folder, stage):
    return int((folder / stage / "seed.txt").read_text())


def test_replicates_draw_their_own_seeds_and_share_the_data_stage(experiment, tmp_path):
    calls: list[str] = []
    rs = prepare_replicates(experiment, 3, ["walk.lambda_priv=0.1"], stand_ins(calls), base=BASE)
    assert rs.folder == tmp_path / "runs" / "tiny-replicates"
    run_replicates(rs, QUIET)
    assert [c for c in calls if c.endswith(":data")] == ["shared:data"]  # run once, linked into each replicate
    record = json.loads((rs.folder / "replicates.json").read_text())
    assert record["base_seed"] == 7 and record["count"] == 3 and record["overrides"] == ["walk.lambda_priv=0.1"]
    seeds = [r["seed"] for r in record["replicates"]]
    assert seeds == [replicate_seed(7, i) for i in range(3)] and seeds[0] == 7 and len(set(seeds)) == 3
    shared_data = rs.shared_dir / "data" / "seed.txt"
    for i, entry in enumerate(record["replicates"]):
        folder = rs.folder / entry["folder"]
        cfg = OmegaConf.load(folder / "config.yaml")
        assert (cfg.seed, cfg.replicate.index, cfg.replicate.data_seed) == (seeds[i], i, 7)
        assert cfg.walk.lambda_priv == 0.1
        assert os.path.samefile(folder / "data" / "seed.txt", shared_data)
        assert entry["stage_seeds"]["data"] == record["replicates"][0]["stage_seeds"]["data"]
    for stage in STAGE_ORDER:
        drawn = [_seed_of(rs.replicate_dir(i), stage) for i in range(3)]
        assert len(set(drawn)) == (1 if stage == "data" else 3), (stage, drawn)
        assert drawn == [r["stage_seeds"][stage] for r in record["replicates"]]
    report = write_set_report(rs)
    assert "3 finished whole-pipeline replicates (r00, r01, r02)" in report.read_text()


def test_an_interrupted_replicate_set_resumes_and_skips_finished_replicates(experiment):
    calls: list[str] = []
    rs = prepare_replicates(experiment, 3, [], stand_ins(calls, fail={"r01:walk"}), base=BASE)
    with pytest.raises(ReplicateFailed) as failed:
        run_replicates(rs, QUIET)
    assert (failed.value.index, failed.value.stage) == (1, "walk")
    assert [rs.status(i) for i in range(3)] == ["done", "partly done", "to run"]
    write_set_report(rs)  # the finished replicates only, the others named
    assert "Not finished, left out: r01, r02." in (rs.folder / "report.md").read_text()
    calls.clear()
    rs = prepare_replicates(experiment, 3, [], stand_ins(calls), base=BASE)
    run_replicates(rs, QUIET)
    assert not [c for c in calls if c.startswith(("r00:", "shared:"))], calls
    assert [c.split(":")[1] for c in calls if c.startswith("r01:")] == list(STAGE_ORDER[STAGE_ORDER.index("walk"):])
    assert [c.split(":")[1] for c in calls if c.startswith("r02:")] == list(STAGE_ORDER[1:])
    calls.clear()
    run_replicates(rs, QUIET, indices=[2])  # an array task on a finished replicate: nothing to do
    assert calls == []


def test_dry_run_lists_the_replicates_with_their_seeds(experiment, capsys):
    assert main(["replicate", str(experiment), "--replicates", "3", "--base", BASE, "--dry-run"]) == 0
    out = capsys.readouterr().out
    for i in range(3):
        assert f"r{i:02d}" in out and str(replicate_seed(7, i)) in out
    assert out.count("to run") == 3 and "seed rule" in out
    assert not (experiment.parent / "runs").exists(), "a dry run wrote files"


def test_bad_replicate_arguments_exit_2_in_one_line(experiment, capsys):
    assert main(["replicate", str(experiment), "--replicates", "2", "--index", "2", "--base", BASE]) == 2
    assert "--index 2 is outside 0..1" in capsys.readouterr().err
    assert main(["replicate", str(experiment), "--replicates", "2", "--base", BASE, "replicate.index=1"]) == 2
    assert "set by privgan replicate" in capsys.readouterr().err
    assert main(["replicate", str(experiment), "--replicates", "0", "--base", BASE, "--dry-run"]) == 2


def test_a_sweep_of_a_replicate_set_reports_each_cell_across_replicates(experiment):
    from lightning_privgan.replicate.sweep_replicates import sweep_replicate_set
    from lightning_privgan.sweep.grid import expand_grid

    calls: list[str] = []
    rs = prepare_replicates(experiment, 2, [], stand_ins(calls), base=BASE)
    run_replicates(rs, QUIET)
    calls.clear()
    cells = expand_grid([0.0, 1.0], [3])
    path = sweep_replicate_set(rs.folder, cells, None, [], stand_ins(calls), QUIET)
    out = rs.folder.parent / "tiny-replicates-sweep"
    assert path == out / "sweep.md"
    swept = [c.split(":")[1] for c in calls]
    assert set(swept) == set(STAGE_ORDER[STAGE_ORDER.index("walk"):]) and len(swept) == 2 * 2 * 4  # cells × replicates
    for cell in cells:
        text = (out / cell.name / "report.md").read_text()
        assert "2 finished whole-pipeline replicates (r00, r01)" in text and "PLAN − linear across replicates" in text
        for r in ("r00", "r01"):
            seed = OmegaConf.load(out / r / cell.name / "config.yaml").seed
            assert seed == OmegaConf.load(rs.replicate_dir(int(r[1:])) / "config.yaml").seed  # the replicate's seeds
    index = path.read_text()
    assert index.count("| [lambda0_steps3](lambda0_steps3/report.md) | 2 |") == 4  # one line per paired figure
