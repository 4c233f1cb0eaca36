"""A GAN stage killed with SIGKILL resumes from its last kimg checkpoint and ends exactly
where an uninterrupted run with the same seed ends."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import torch

from tests.helpers.gan_phantom_data import write_phantom_data
from lightning_privgan.config.load import config_from_dict
from lightning_privgan.pipeline.stage import StageContext
from tests.helpers.gan_phantom_data import FAST_GAN

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]
# 21 train images, batch 8: 2 batches per epoch. Checkpoints after batches 3 and 6; the
# kill comes at the end of batch 5, so the resumed run restarts mid-epoch at batch 3.
GAN = {**FAST_GAN, "kimg": 0.064, "checkpoint_every_kimg": 0.024, "fd_every_kimg": 0.032,
       "sample_every_kimg": 0.032, "ada_interval": 2}
CFG = {"trainer": {"accelerator": "cpu", "devices": 1, "progress_bar": False}, "gan": GAN}
KILL_AFTER_BATCH = 5

KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    import torch
    torch.set_num_threads(1)
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from lightning_privgan.config.load import config_from_dict
    from lightning_privgan.models.gan_module import GANModule
    from lightning_privgan.pipeline.stage import StageContext
    from lightning_privgan.stages.gan import STAGE

    def killer(self, outputs, batch, batch_idx):
        if self.batches_done == {kill}:
            os.kill(os.getpid(), signal.SIGKILL)

    GANModule.on_train_batch_end = killer
    STAGE.run(StageContext(cfg=config_from_dict({cfg!r}), run_dir=Path({run!r}), name="gan"))
""")


def _run_in_process(run: Path) -> None:
    from lightning_privgan.stages.gan import STAGE

    STAGE.run(StageContext(cfg=config_from_dict(CFG), run_dir=run, name="gan"))


def test_killed_gan_stage_resumes_past_its_checkpoint_and_matches_an_uninterrupted_run(tmp_path):
    killed, straight = tmp_path / "killed", tmp_path / "straight"
    for run in (killed, straight):
        write_phantom_data(run, num_patients=10, scans=3, resolution=16)
    script = tmp_path / "killed_gan.py"
    script.write_text(KILLED_RUN.format(tests=str(REPO), cfg=CFG, run=str(killed), kill=KILL_AFTER_BATCH))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "WANDB_MODE": "offline"}
    proc = subprocess.run(["timeout", "-k", "5", "120", sys.executable, str(script)], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    ckpt = torch.load(killed / "gan" / "checkpoints" / "last.ckpt", weights_only=False)
    assert ckpt["gan_progress"]["batches_done"] == 3 and ckpt["gan_progress"]["kimg"] == 0.024
    assert not (killed / "gan" / "generator.pt").exists()

    _run_in_process(killed)
    _run_in_process(straight)

    summary = pd.read_json(killed / "gan" / "summary.json", typ="series")
    assert summary["resumed_from_kimg"] == 0.024 and summary["kimg"] == 0.064
    assert pd.read_json(straight / "gan" / "summary.json", typ="series")["resumed_from_kimg"] == 0.0
    resumed = torch.load(killed / "gan" / "generator.pt", weights_only=False)["state_dict"]
    reference = torch.load(straight / "gan" / "generator.pt", weights_only=False)["state_dict"]
    assert resumed.keys() == reference.keys()
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)  # G_ema, bit for bit
    last = [torch.load(r / "gan" / "checkpoints" / "last.ckpt", weights_only=False) for r in (killed, straight)]
    assert all(torch.equal(last[0]["state_dict"][k], v) for k, v in last[1]["state_dict"].items())  # G, D, ADA p
    pd.testing.assert_frame_equal(pd.read_csv(killed / "gan" / "fd_curve.csv"), pd.read_csv(straight / "gan" / "fd_curve.csv"))
