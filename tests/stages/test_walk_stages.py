"""The anchors and walk stages end to end on fakes (real loaders and projector monkeypatched)."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from rich.console import Console

from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages import anchors as anchors_stage
from lightning_privgan.stages import walk as walk_stage
from tests.helpers.fake_networks import single_thread  # noqa: F401
from tests.helpers.walk_stage_fakes import STAGE_OVERRIDES, install_fake_networks, write_real_data

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    write_real_data(tmp_path)
    install_fake_networks(monkeypatch.setattr)
    return tmp_path


def _ctx(cpu_cfg, run_dir, name, **overrides):
    cfg = cpu_cfg({**STAGE_OVERRIDES, **overrides})
    return StageContext(cfg=cfg, run_dir=run_dir, name=name)


def test_anchors_then_walk_write_their_artifacts(cpu_cfg, run_dir):
    anchors_stage.run(_ctx(cpu_cfg, run_dir, "anchors"))
    anchors = torch.load(run_dir / "anchors" / "anchors.pt", weights_only=False)
    pairs = torch.load(run_dir / "anchors" / "pairs.pt", weights_only=True)
    train_rows = set(range(10))
    assert sorted(r for g in anchors["groups"] for r in g) == sorted(train_rows)
    assert all(len(g) >= 2 for g in anchors["groups"])
    assert (anchors["labels"][pairs["pairs"][:, 0]] == anchors["labels"][pairs["pairs"][:, 1]]).all()
    assert (run_dir / "anchors" / "anchors.png").stat().st_size > 0

    ctx = _ctx(cpu_cfg, run_dir, "walk")
    ctx.console = Console(record=True, width=200, file=io.StringIO())
    walk_stage.run(ctx)
    paths = torch.load(run_dir / "walk" / "paths.pt", weights_only=False)
    P = len(pairs["pairs"])
    # The console says how many steps the pairs took (3 steps each: too few to stop early).
    assert f"{3 * P} of {3 * P} pair-steps taken, the last pair stopped at step 3" in ctx.console.export_text()
    assert paths["plan"].shape == paths["linear"].shape == (P, 5, 8)
    assert torch.equal(paths["plan"][:, 0], anchors["w"][pairs["pairs"][:, 0]])
    assert torch.equal(paths["plan"][:, -1], paths["linear"][:, -1])
    assert not torch.equal(paths["plan"], paths["linear"])
    assert len(paths["losses"]["plan"]) == int(np.ceil(P / 2)) and len(paths["losses"]["plan"][0]) == 3
    assert (run_dir / "walk" / "strips.png").is_file() and not (run_dir / "walk" / "partial").exists()


def test_walk_resumes_from_finished_chunks(cpu_cfg, run_dir, monkeypatch):
    anchors_stage.run(_ctx(cpu_cfg, run_dir, "anchors"))
    calls = []
    real_walk = walk_stage.walk

    def crash_on_second_chunk(*args, **kwargs):
        calls.append(kwargs["method"])
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated crash")
        return real_walk(*args, **kwargs)

    monkeypatch.setattr(walk_stage, "walk", crash_on_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        walk_stage.run(_ctx(cpu_cfg, run_dir, "walk"))
    assert len(list((run_dir / "walk" / "partial").iterdir())) == 1
    calls.clear()
    monkeypatch.setattr(walk_stage, "walk", lambda *a, **k: (calls.append(k["method"]), real_walk(*a, **k))[1])
    walk_stage.run(_ctx(cpu_cfg, run_dir, "walk"))
    chunks = int(np.ceil(len(torch.load(run_dir / "anchors" / "pairs.pt")["pairs"]) / 2))
    assert len(calls) == 2 * chunks - 1  # the saved chunk was not walked again


def test_a_stream_built_from_the_run_uses_the_saved_paths_and_the_gate(cpu_cfg, run_dir):

    anchors_stage.run(_ctx(cpu_cfg, run_dir, "anchors"))
    walk_stage.run(_ctx(cpu_cfg, run_dir, "walk"))
    cfg = cpu_cfg({"stream": {"batch_size": 6, "samples_per_epoch": 12, "gate": True, "gate_threshold": 1e-6}})
    dm = _stream(cfg, run_dir)
    saved = torch.load(run_dir / "walk" / "paths.pt", weights_only=False)
    assert dm.id_net is None and torch.equal(dm._cache[0], saved["plan"][0])  # nothing left to optimise
    dm.setup("fit")
    images, labels = dm.make_batch(next(iter(dm.train_dataloader())), epoch=0)
    assert images.shape == (6, 1, 16, 16) and dm.gate is not None


def _stream(cfg, run_dir):
    """The downstream stage's PLAN stream with its gate, as the stage builds it."""
    from lightning_privgan.core.seeds import derive_seed
    from lightning_privgan.stages.outputs import load_walk_artifacts
    from lightning_privgan.stages.downstream import stream_for_source, stream_gate

    ctx = StageContext(cfg=cfg, run_dir=run_dir, name="downstream")
    art = load_walk_artifacts(ctx.input("gan"), ctx.input("anchors"), ctx.input("walk"))
    return stream_for_source(ctx, art, "plan", derive_seed(cfg.seed, "stream", "plan"), cfg.stream,
                             gate=stream_gate(ctx))


def test_the_gate_defaults_to_the_audits_near_duplicate_threshold(cpu_cfg, run_dir):
    """stream.gate with no threshold screens at the audit's auditor near-duplicate threshold (before:
    a null threshold meant no gate, and a given one had no tie to the audit)."""
    from lightning_privgan.audit.source_audit import build_reference
    from lightning_privgan.stages.outputs import AuditorOutputs
    from lightning_privgan.data.real_store import RealData

    anchors_stage.run(_ctx(cpu_cfg, run_dir, "anchors"))
    walk_stage.run(_ctx(cpu_cfg, run_dir, "walk"))
    cfg = cpu_cfg({"stream": {"batch_size": 6, "samples_per_epoch": 12, "gate": True},
                   "audit": {"near_duplicate_quantile": 0.2}})
    dm = _stream(cfg, run_dir)
    train = RealData.load(run_dir / "data").split("train").read_all()
    auditor = AuditorOutputs(run_dir / "auditor").model()
    ref = build_reference(train.images, train.patient_ids, ["auditor"], 0.2, auditor, batch_size=cfg.audit.batch_size)
    assert dm.gate.threshold == pytest.approx(ref.thresholds["auditor"], rel=1e-6)
    assert dm.gate.setting.source.startswith("calibrated")
    fixed = _stream(cpu_cfg({"stream": {"gate": True, "gate_threshold": 0.25}}), run_dir)
    assert fixed.gate.threshold == 0.25
    assert _stream(cpu_cfg({}), run_dir).gate is None
    with pytest.raises(Exception, match="stream.gate_threshold.*stream.gate is false"):
        cpu_cfg({"stream": {"gate_threshold": 0.25}})
