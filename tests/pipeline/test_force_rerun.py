"""--force re-runs a stage from nothing; a plain rerun after an interruption still resumes."""
from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch
from torch import nn

from lightning_privgan.pipeline.stage_outputs import StageOutputs
from lightning_privgan.core.atomic import write_text_atomic
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.pipeline.stage import Stage
from lightning_privgan.training.trainer import fit_resumable, make_trainer

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)


class ResultOutputs(StageOutputs):
    REQUIRED = ("result.txt",)


def resuming_stage(seen: list[list[str]], crash_after: int | None = None):
    """A stage that works in units, as downstream does per (source, seed): a unit whose record
    exists is not redone. `seen` gets the units each run found already done."""

    def run(ctx):
        done = sorted(p.name for p in ctx.out.glob("unit_*.done"))
        seen.append(done)
        for i in range(3):
            if crash_after is not None and i == crash_after:
                raise RuntimeError("killed")
            (ctx.out / f"unit_{i}.done").write_text("trained")
        write_text_atomic(ctx.out / "result.txt", "3 units")

    return run


def _pipeline(cfg, seen, crash_after=None):
    return Pipeline(cfg, [Stage("data", resuming_stage(seen, crash_after), config_keys=("data",),
                                outputs=ResultOutputs)])


def test_forced_stage_starts_from_nothing(cpu_cfg):
    seen: list[list[str]] = []
    cfg = cpu_cfg()
    _pipeline(cfg, seen).run()
    stray = _pipeline(cfg, seen).run_dir / "data" / "left_by_the_last_attempt.txt"
    stray.write_text("x")
    planned = _pipeline(cfg, seen).run(force=["data"])
    assert planned[0].action == "run" and planned[0].reason == "forced"
    assert seen == [[], []]  # the forced run found none of the previous attempt's units
    assert not stray.exists()


def test_plain_rerun_after_an_interruption_resumes_and_a_forced_one_does_not(cpu_cfg):
    seen: list[list[str]] = []
    cfg = cpu_cfg()
    try:
        _pipeline(cfg, seen, crash_after=2).run()
    except RuntimeError:
        pass
    _pipeline(cfg, seen).run()
    assert seen[-1] == ["unit_0.done", "unit_1.done"]  # resumed: only unit 2 was left
    try:
        _pipeline(cfg, seen, crash_after=2).run(force=["data"])
    except RuntimeError:
        pass
    assert seen[-1] == []
    _pipeline(cfg, seen).run(force=["data"])  # forced again after the interruption: from nothing
    assert seen[-1] == []


class TinyModule(pl.LightningModule):
    def __init__(self, steps_seen: list[int]):
        super().__init__()
        self.net = nn.Linear(2, 1)
        self.steps_seen = steps_seen

    def training_step(self, batch, batch_idx):
        self.steps_seen.append(self.global_step)
        return self.net(batch[0]).pow(2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)

    def train_dataloader(self):
        return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(8, 2)), batch_size=4)


def test_forced_lightning_stage_trains_again_instead_of_restoring_last_ckpt(cpu_cfg):
    steps: list[int] = []

    def train(ctx):
        module = TinyModule(steps)
        fit_resumable(make_trainer(ctx, max_epochs=2, enable_checkpointing=True), module)
        torch.save(module.net.state_dict(), ctx.out / "model.pt")
        write_text_atomic(ctx.out / "result.txt", "trained")

    cfg = cpu_cfg()
    stages = [Stage("identity", train, config_keys=("identity",), outputs=ResultOutputs)]
    Pipeline(cfg, stages).run()
    assert steps == [0, 1, 2, 3] and (Pipeline(cfg, stages).run_dir / "identity" / "checkpoints" / "last.ckpt").exists()
    steps.clear()
    Pipeline(cfg, stages).run(only=["identity"], force=["identity"])
    assert steps == [0, 1, 2, 3]  # trained from step 0, not restored from last.ckpt (no step at all)


def test_other_ranks_of_a_ddp_job_wait_for_this_job_s_record_of_a_forced_stage(cpu_cfg, monkeypatch):
    """Rank 1 finds the previous job's record of the forced stage (the same settings hash) until
    rank 0 replaces it: it must wait for this job's, not take the old one (and its old token)."""
    import json
    import threading

    from tests.helpers.stand_in_stages import make_stages

    cfg = cpu_cfg()
    Pipeline(cfg, make_stages([])).run()  # the previous job
    record = Pipeline(cfg, make_stages([])).run_dir / "data" / "stage.json"
    old = json.loads(record.read_text())
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("PRIVGAN_JOB", "this-job")  # inherited from rank 0, as Lightning's launcher passes it
    rank1 = threading.Thread(target=Pipeline(cfg, make_stages([])).run, kwargs={"only": ["data"], "force": ["data"]},
                             daemon=True)
    rank1.start()
    rank1.join(3)
    assert rank1.is_alive()  # still waiting: the record is the previous job's
    record.write_text(json.dumps({**old, "token": "new", "job": "this-job"}))  # rank 0 finished the stage
    rank1.join(10)
    assert not rank1.is_alive()
