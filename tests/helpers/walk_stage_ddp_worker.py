"""Run by tests/stages/test_walk_stage_ddp.py: the walk stage on `devices` CPU ranks (gloo), fake networks.

    python tests/helpers/walk_stage_ddp_worker.py RUN_DIR DEVICES [CRASH_AFTER]

Rank 0 runs the anchors stage first when its output is missing. The walk stage then starts
the other ranks itself (Lightning Fabric re-runs this script for them). Each rank writes the
chunks it walked to walked_rank<r>.json; with CRASH_AFTER, every rank dies after walking that
many chunks (an interrupted multi-rank walk).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from omegaconf import OmegaConf

from lightning_privgan.config.load import config_from_dict
from lightning_privgan.core.distributed import global_rank
from lightning_privgan.core.process_group import leave_process_group
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages import anchors as anchors_stage
from lightning_privgan.stages import walk as walk_stage
from tests.helpers.walk_stage_fakes import STAGE_OVERRIDES, install_fake_networks, setattr_by_path, write_real_data


def main(run_dir: Path, devices: int, crash_after: int | None) -> None:
    torch.set_num_threads(1)
    install_fake_networks(setattr_by_path)
    base = {"name": "ddp", "runs_root": str(run_dir.parent),
            "trainer": {"accelerator": "cpu", "devices": devices, "progress_bar": False},
            "data": {"source": "phantom_cxr", "resolution": 16}}
    more_pairs = {"anchors": {"num_pairs": 8}}  # 4 chunks of 2: both ranks get some
    cfg = config_from_dict(OmegaConf.to_container(OmegaConf.merge(base, STAGE_OVERRIDES, more_pairs)))
    if global_rank() == 0 and not (run_dir / "anchors" / "pairs.pt").is_file():
        write_real_data(run_dir, n=24)
        anchors_stage.run(StageContext(cfg=cfg, run_dir=run_dir, name="anchors"))
    walked: list[str] = []
    real_walk = walk_stage.walk

    def counting_walk(G, w_a, *args, **kwargs):
        if crash_after is not None and len(walked) == crash_after:
            raise SystemExit(3)  # killed mid-walk
        walked.append(f"{kwargs['method']}:{w_a[0].sum().item():.6f}")
        return real_walk(G, w_a, *args, **kwargs)

    walk_stage.walk = counting_walk
    try:
        walk_stage.run(StageContext(cfg=cfg, run_dir=run_dir, name="walk"))
    finally:
        (run_dir / f"walked_rank{global_rank()}.json").write_text(json.dumps(walked))
        leave_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)
