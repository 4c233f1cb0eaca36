"""Ctrl-C and SIGTERM end `privgan run` with one line, on the console and in the run log, that
says the run was interrupted, in which stage, and that the same command resumes it; exit 130
(SIGINT) or 143 (SIGTERM), no traceback, and nothing finished is lost. A read-only run folder
and a full disk are one line each too."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]
linux_proc = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the run's process under /proc (Linux)")
BASE = REPO / "experiments" / "base.yaml"
ENV = {**os.environ, "PYTHONPATH": str(REPO), "NO_ALBUMENTATIONS_UPDATE": "1", "WANDB_MODE": "offline",
       "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
SAID = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}


def _experiment(tmp_path: Path, epochs: int = 500) -> Path:
    exp = tmp_path / "tiny.yaml"
    exp.write_text(f"name: tiny\nruns_root: {tmp_path / 'runs'}\n"
                   "data:\n  source: phantom_cxr\n  resolution: 16\n  phantom:\n    num_patients: 12\n    scans_per_patient: 3\n"
                   f"identity:\n  epochs: {epochs}\n  width: 4\ntrainer:\n  accelerator: cpu\n  progress_bar: false\n")
    return exp


def _interrupt_when(cmd: list[str], ready: Path, signum: int) -> subprocess.CompletedProcess:
    """Start `cmd`, send `signum` once `ready` exists; its exit status and output."""
    proc = subprocess.Popen(["timeout", "-k", "5", "300", *cmd], cwd=REPO, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while not ready.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert ready.exists(), f"{ready} never appeared: {proc.poll()}"
    # To the run itself, not to `timeout` (which would pass it on a second time, then SIGKILL after 5 s).
    (child,) = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    os.kill(int(child), signum)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _plan(exp: Path, overrides: list[str] = (), only: tuple[str, ...] = ()) -> dict[str, str]:
    """What `privgan run EXP --only ... --dry-run` would do with each selected stage, and why (in this
    process: tests/cli covers the dry run's printing)."""
    from lightning_privgan.config.load import load_experiment
    from lightning_privgan.pipeline.runner import Pipeline
    from lightning_privgan.stages import load_stages

    pipeline = Pipeline(load_experiment(exp, list(overrides), base=BASE), load_stages())
    return {p.stage.name: p.reason for p in pipeline.plan(only) if p.stage.name in only}


def _check_one_line(result: subprocess.CompletedProcess, run_dir: Path, signum: int, stage: str) -> None:
    assert result.returncode == EXIT[signum], (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    line = (f"interrupted: the run stopped by {SAID[signum]} during stage '{stage}'; finished stages and saved "
            f"checkpoints are kept, so running the same command again resumes it")
    assert [entry for entry in result.stderr.splitlines() if entry.startswith("interrupted")] == [line]
    (log,) = (run_dir / "logs").glob("*.log")
    assert line in log.read_text()


# SIGTERM reaching Lightning fits is the side-by-side test's signal (two fits, one in each worker,
# both recorded as interrupted and resumed), and its line and exit 143 are the walk's test's: here
# it would repeat both, at 8 s, so it runs with the slow tests (make test-all).
@linux_proc
@pytest.mark.parametrize("signum", [signal.SIGINT, pytest.param(signal.SIGTERM, marks=pytest.mark.slow)])
def test_a_signal_during_a_lightning_fit_says_so_and_the_run_resumes(tmp_path, signum):
    exp, run_dir = _experiment(tmp_path), tmp_path / "runs" / "tiny"
    cmd = [sys.executable, "-m", "lightning_privgan", "run", str(exp), "--base", str(BASE),
           "--only", "data", "--only", "identity"]
    # last.ckpt is written after the first epoch: the fit is under way
    result = _interrupt_when(cmd, run_dir / "identity" / "checkpoints" / "last.ckpt", signum)
    _check_one_line(result, run_dir, signum, "identity")
    assert (run_dir / "data" / "stage.json").is_file()  # the finished stage is kept
    assert _plan(exp, only=("data", "identity")) == {"data": "results current", "identity": "resume interrupted run"}


@linux_proc
def test_a_signal_stops_the_stages_side_by_side_and_both_resume(tmp_path):
    exp, run_dir = _experiment(tmp_path), tmp_path / "runs" / "tiny"
    cmd = [sys.executable, "-m", "lightning_privgan", "run", str(exp), "--base", str(BASE), "--only", "data",
           "--only", "identity", "--only", "auditor", "auditor.epochs=500", "trainer.parallel_stages=2"]
    env = {**ENV, "OMP_NUM_THREADS": "2"}  # two threads: the two stages run one worker process each
    proc = subprocess.Popen(["timeout", "-k", "5", "300", *cmd], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    ready = [run_dir / name / "checkpoints" / "last.ckpt" for name in ("identity", "auditor")]
    deadline = time.time() + 240
    while not all(p.exists() for p in ready) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert all(p.exists() for p in ready), f"the two fits never both started: {proc.poll()}"
    (child,) = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    workers = Path(f"/proc/{child}/task/{child}/children").read_text().split()
    os.kill(int(child), signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-3000:]
    assert "Traceback" not in err + out, err[-3000:]
    assert [line for line in err.splitlines() if line.startswith("interrupted")] == [
        "interrupted: the run stopped by SIGTERM during stage 'identity, auditor'; finished stages and saved "
        "checkpoints are kept, so running the same command again resumes it"]
    assert "[identity]" in out and "[auditor]" in out  # each worker's lines name their stage
    # No worker outlives the run (multiprocessing's resource tracker leaves on its own, just after).
    deadline = time.time() + 20
    while [pid for pid in workers if Path(f"/proc/{pid}").exists()] and time.time() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    for name in ("identity", "auditor"):
        assert (run_dir / name / "attempt.json").is_file() and not (run_dir / name / "stage.json").exists()
    assert _plan(exp, ["auditor.epochs=500", "trainer.parallel_stages=2"], only=("data", "identity", "auditor")) == {
        "data": "results current", "identity": "resume interrupted run", "auditor": "resume interrupted run"}


WALK_FOREVER = textwrap.dedent("""
    import sys
    import torch
    sys.path.insert(0, {repo!r})
    import lightning_privgan.stages as stages
    from lightning_privgan import cli
    from lightning_privgan.pipeline.stage import Stage
    from lightning_privgan.config.sections.walk import WalkConfig
    from lightning_privgan.walk.paths import walk
    from tests.helpers.fake_networks import fake_trio

    def endless_walk(ctx):
        G, id_net, class_net = fake_trio()
        a, b = torch.randn(4, G.w_dim), torch.randn(4, G.w_dim)
        ctx.out.mkdir(parents=True, exist_ok=True)
        (ctx.out / "walking").write_text("")
        # early stop off: the fake networks' loss settles within a second, and the walk must not end
        walk(G, a, b, torch.tensor([0, 1, 0, 1]), WalkConfig(n_steps=6, optim_steps=10**7, early_stop_patience=0),
             id_net, class_net,
             progress=True)

    stages.load_stages = lambda: [Stage(name="walk", run=endless_walk)]
    sys.exit(cli.main(["run", {exp!r}, "--base", {base!r}]))
""")


@linux_proc
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_walk_is_one_line_not_a_traceback(tmp_path, signum):
    script = tmp_path / "walk_forever.py"
    script.write_text(WALK_FOREVER.format(repo=str(REPO), exp=str(_experiment(tmp_path)), base=str(BASE)))
    run_dir = tmp_path / "runs" / "tiny"
    result = _interrupt_when([sys.executable, str(script)], run_dir / "walk" / "walking", signum)
    _check_one_line(result, run_dir, signum, "walk")
    assert not (run_dir / "walk" / "stage.json").exists() and (run_dir / "walk" / "attempt.json").is_file()


def test_a_read_only_run_folder_is_one_line_naming_it(tmp_path, monkeypatch, capsys):
    from lightning_privgan import cli

    run_dir = tmp_path / "fab"
    (run_dir / "privacy_audit").mkdir(parents=True)
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if str(self).startswith(str(run_dir)) and not self.exists():
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    monkeypatch.delenv("PRIVGAN_DEBUG", raising=False)
    # --partial: a plain report refuses first, as this folder holds no current audit
    for argv in (["report", str(run_dir), "--partial"], ["run", str(_experiment(tmp_path)), "--base", str(BASE),
                                            f"runs_root={tmp_path}", "name=fab", "--only", "data"]):
        assert cli.main(argv) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert err.startswith(f"error: {run_dir} is on a read-only file system ("), err


@pytest.fixture
def log_on_full_disk(tmp_path, monkeypatch):
    """Run logs under tmp_path write to /dev/full, which answers every write with ENOSPC as a
    disk with 0 bytes free does."""
    import logging

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    real_open = logging.FileHandler._open

    def full_disk(self):
        if str(self.baseFilename).startswith(str(tmp_path)):
            return open("/dev/full", "w", encoding="utf-8")
        return real_open(self)

    monkeypatch.setattr(logging.FileHandler, "_open", full_disk)


@pytest.mark.usefixtures("log_on_full_disk")
def test_a_full_disk_under_the_run_log_is_one_line(tmp_path, monkeypatch, capsys):
    from lightning_privgan import cli
    from lightning_privgan.pipeline.stage import Stage

    def stage_on_full_disk(ctx):
        with open("/dev/full", "w") as f:
            f.write("x")
            f.flush()

    monkeypatch.setattr("lightning_privgan.stages.load_stages", lambda: [Stage(name="data", run=stage_on_full_disk)])
    monkeypatch.delenv("PRIVGAN_DEBUG", raising=False)
    assert cli.main(["run", str(_experiment(tmp_path)), "--base", str(BASE)]) == 1
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err, err
    assert err.strip().splitlines() == ["error: no space left on the device ([Errno 28] No space left on device)"]


@pytest.mark.usefixtures("log_on_full_disk")
def test_a_run_log_that_cannot_be_written_is_said_once_at_the_end(tmp_path, capsys):
    from lightning_privgan.pipeline.run_log import RunLog

    log = RunLog(tmp_path)
    with log:
        for i in range(3):
            log.logger.info("record %d", i)
    err = capsys.readouterr().err
    assert "Logging error" not in err
    assert err.strip().splitlines() == [f"warning: the run log {log.path} is incomplete: it could not be written "
                                        "(No space left on device)"]
