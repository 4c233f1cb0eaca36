"""Checks that SLURM's task layout matches the trainer settings before any work starts.

Lightning's SLURM environment expects one task per device: `--ntasks-per-node` must equal
`trainer.devices` and `--nodes` must equal `trainer.num_nodes`, else ranks wait forever.
"""
from __future__ import annotations

import os
from typing import Mapping

from omegaconf import DictConfig

from ..config.errors import ConfigError


def _tasks_per_node(env: Mapping[str, str]) -> int | None:
    raw = env.get("SLURM_NTASKS_PER_NODE") or env.get("SLURM_TASKS_PER_NODE")
    if not raw:
        return None
    # SLURM_TASKS_PER_NODE looks like "4(x2)" or "4,4"; the first count is enough to compare.
    return int(raw.split("(")[0].split(",")[0])


def check_slurm_layout(cfg: DictConfig, env: Mapping[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    if "SLURM_JOB_ID" not in env or env.get("SLURM_JOB_NAME") in ("bash", "interactive"):
        return
    devices, nodes = cfg.trainer.devices, cfg.trainer.num_nodes
    problems = []
    per_node = _tasks_per_node(env)
    if per_node is not None and per_node != devices:
        problems.append(f"SLURM runs {per_node} tasks per node but trainer.devices={devices}")
    slurm_nodes = env.get("SLURM_NNODES") or env.get("SLURM_JOB_NUM_NODES")
    if slurm_nodes is not None and int(slurm_nodes) != nodes:
        problems.append(f"SLURM allocated {slurm_nodes} nodes but trainer.num_nodes={nodes}")
    ntasks = env.get("SLURM_NTASKS")
    if ntasks is not None and int(ntasks) != devices * nodes:
        problems.append(f"SLURM_NTASKS={ntasks} but trainer.devices x trainer.num_nodes = {devices * nodes}")
    if problems:
        raise ConfigError(
            "SLURM layout does not match the trainer settings: " + "; ".join(problems) + ". "
            f"Submit with --nodes={nodes} --ntasks-per-node={devices} --gpus-per-node={devices} "
            "(make slurm NODES=.. GPUS=.. does this), or set trainer.devices / trainer.num_nodes to the allocation."
        )
