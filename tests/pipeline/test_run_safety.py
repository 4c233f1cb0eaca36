"""Nothing a second process, a kill or a full disk does can corrupt a run folder."""
from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import torch

from lightning_privgan.core import atomic
from lightning_privgan.core.atomic import torch_save_atomic
from lightning_privgan.core.disk_full import DiskFullError
from lightning_privgan.core.checkpoint_files import loadable_or_moved_aside
from lightning_privgan.pipeline.run_lock import RunLock, RunLockedError
from lightning_privgan.pipeline.runner import Pipeline

from tests.helpers.stand_in_stages import make_stages

REPO = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from lightning_privgan.pipeline.run_lock import RunLock
    RunLock(Path(sys.argv[1])).acquire()
    print("locked", flush=True)
    time.sleep(60)
""")


def _hold_lock(run_dir: Path, tmp_path: Path) -> subprocess.Popen:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    proc = subprocess.Popen([sys.executable, str(script), str(run_dir)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_process_on_a_run_is_refused_naming_pid_and_host_until_the_holder_dies(cpu_cfg, tmp_path):
    cfg = cpu_cfg()
    calls: list[str] = []
    pipe = Pipeline(cfg, make_stages(calls))
    holder = _hold_lock(pipe.run_dir, tmp_path)
    try:
        with pytest.raises(RunLockedError, match=rf"in use by process {holder.pid} on host {socket.gethostname()}"):
            pipe.run()
        assert calls == [] and not (pipe.run_dir / "config.yaml").exists()  # refused before any work
    finally:
        holder.send_signal(signal.SIGKILL)  # a kill leaves the lock file behind: it is stale
        holder.wait()
    assert (pipe.run_dir / ".lock").exists()
    pipe.run()
    assert calls == ["data", "gan", "walk"]
    RunLock(pipe.run_dir).acquire().release()  # released when the run ends


def test_other_ranks_of_a_ddp_job_do_not_take_the_lock(cpu_cfg, monkeypatch):
    cfg = cpu_cfg()
    pipe = Pipeline(cfg, make_stages([]))
    Pipeline(cfg, make_stages([])).run()  # rank 0's records, which rank 1 waits for
    with RunLock(pipe.run_dir):  # rank 0 of the same job holds the run
        monkeypatch.setenv("RANK", "1")
        pipe.run()  # would raise RunLockedError if rank 1 tried to lock


def test_stale_temporary_files_of_a_killed_run_are_removed(cpu_cfg):
    with pytest.raises(RuntimeError):  # an interrupted gan stage: its folder is kept for resuming
        Pipeline(cpu_cfg(), make_stages([], fail={"gan"})).run()
    pipe = Pipeline(cpu_cfg(), make_stages([]))
    (pipe.run_dir / "gan" / "checkpoints").mkdir(parents=True)
    stale = pipe.run_dir / "gan" / "checkpoints" / ".last.ckpt.a1b2c3d4.tmp"
    stale.write_bytes(b"half a checkpoint")
    kept = pipe.run_dir / "gan" / "notes.tmp"  # not one of ours: left alone
    kept.write_text("user file")
    pipe.run()
    assert not stale.exists() and kept.exists()


def test_unloadable_checkpoint_is_moved_aside_with_a_warning(tmp_path):
    good = tmp_path / "good.ckpt"
    torch.save({"state_dict": {"w": torch.ones(3)}}, good)
    bad = tmp_path / "last.ckpt"
    bad.write_bytes(good.read_bytes()[:100])  # truncated, as a full disk left it
    assert loadable_or_moved_aside(good)
    with pytest.warns(UserWarning, match="does not load.*starts again from the beginning"):
        assert not loadable_or_moved_aside(bad)
    assert not bad.exists() and len(list(tmp_path.glob("last.ckpt.corrupt-*"))) == 1


def test_stage_training_restarts_when_its_last_checkpoint_is_corrupt(cpu_cfg, tmp_path):
    from tests.helpers.gan_phantom_data import write_phantom_data
    from lightning_privgan.pipeline.stage import StageContext
    from lightning_privgan.stages.gan import STAGE
    from tests.helpers.gan_phantom_data import FAST_GAN

    run = tmp_path / "run"
    write_phantom_data(run, num_patients=10, scans=3, resolution=16)
    ckpt = run / "gan" / "checkpoints" / "last.ckpt"
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"PK\x03\x04 truncated")
    cfg = cpu_cfg({"gan": {**FAST_GAN, "kimg": 0.016, "fd_every_kimg": 0, "sample_every_kimg": 0}})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        STAGE.run(StageContext(cfg=cfg, run_dir=run, name="gan"))
    assert any("does not load" in str(w.message) for w in seen)
    assert torch.load(ckpt, weights_only=False)["gan_progress"]["nimg"] == 16


def _disk_full_after(nbytes: int):
    real_open = open

    class FullFile:
        def __init__(self, f):
            self.f, self.left = f, nbytes

        def write(self, data):
            if len(data) > self.left:
                self.f.write(bytes(data[: self.left]))
                raise OSError(errno.ENOSPC, "No space left on device")
            self.left -= len(data)
            return self.f.write(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    return lambda path, mode="r", *a, **k: FullFile(real_open(path, mode, *a, **k)) if "w" in mode else real_open(path, mode, *a, **k)


def test_full_disk_keeps_the_previous_artifact_and_names_the_file(tmp_path, monkeypatch):
    target = tmp_path / "last.ckpt"
    torch_save_atomic({"w": torch.zeros(4)}, target)
    before = target.read_bytes()
    monkeypatch.setattr(atomic, "open", _disk_full_after(200), raising=False)
    with pytest.raises(DiskFullError, match=r"no space left on the device while writing .*last\.ckpt"):
        torch_save_atomic({"w": torch.ones(10_000)}, target)
    assert target.read_bytes() == before and list(tmp_path.iterdir()) == [target]


def test_full_disk_is_one_line_from_the_cli(tmp_path, monkeypatch, capsys):
    from lightning_privgan import cli
    from lightning_privgan.pipeline import runner

    def run_out_of_space(self, *args, **kwargs):
        torch_save_atomic(torch.ones(10_000), self.run_dir / "gan" / "generator.pt")

    monkeypatch.setattr(atomic, "open", _disk_full_after(100), raising=False)
    monkeypatch.setattr(runner.Pipeline, "run", run_out_of_space)
    code = cli.main(["run", str(REPO / "experiments" / "demo.yaml"), f"runs_root={tmp_path}"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("error: no space left on the device while writing") and "generator.pt" in err
