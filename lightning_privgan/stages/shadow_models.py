"""The privacy audit's shadow models, several at once on a CPU: they are independent fits, so
they train side by side as the downstream stage's do (trainer.parallel_fits, one process each)."""
from __future__ import annotations

from typing import Optional

from torch import nn

from ..audit.membership import ShadowJob, TrainShadowsFn
from ..pipeline.parallel_fits import parallel_fits, run_each
from ..pipeline.stage import StageContext
from ..training.shadow_training import train_shadow


def _train(ctx: StageContext, job: tuple[ShadowJob, Optional[int]], cache: dict) -> nn.Module:
    (images, labels, seed), epochs = job
    if "data" not in cache:  # read once per process
        cache["data"] = ctx.input("data").real()
    return train_shadow(ctx, cache["data"], images, labels, seed, epochs)


def shadow_trainer(ctx: StageContext, epochs: Optional[int]) -> TrainShadowsFn:
    """[(images, labels, seed)] -> the trained shadow networks, in order, on the stage's device.
    `epochs`: audit.shadow_epochs (None: the downstream budget)."""
    def train(jobs: list[ShadowJob]) -> list[nn.Module]:
        nets = run_each(_train, ctx, [(job, epochs) for job in jobs], parallel_fits(ctx.cfg))
        return [net.to(ctx.device) for net in nets]  # a worker process hands its network back on the CPU

    return train
