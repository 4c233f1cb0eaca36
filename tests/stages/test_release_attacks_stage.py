"""The privacy audit's release-level attacks on a fabricated run: the files it writes, what they
hold, and a clean skip without a holdout split."""
from __future__ import annotations

import json

import pandas as pd
import torch
from rich.console import Console

from lightning_privgan.data.real_store import RealData
from lightning_privgan.metrics.distances import distance_kind
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages.outputs import RunFolder
from lightning_privgan.stages.release_attacks import attack_summary, run_release_attacks
from tests.helpers.fabricated_run import RES, fabricate_upstream


def _inputs(run_dir):
    data = RealData.load(run_dir / "data")
    train, holdout, val, test = (data.split(s).read_all() for s in ("train", "holdout", "val", "test"))
    return train, holdout, torch.cat([val.images, test.images])


def test_the_attacks_write_their_json_csv_and_figures(cpu_cfg, tmp_path):
    run_dir = tmp_path / "run"
    fabricate_upstream(run_dir)
    cfg = cpu_cfg({"data": {"resolution": RES}, "gan": {"projection": {"steps": 10}},
                   "audit": {"samples_per_source": 12, "attack_samples": 6, "attack_resamples": 100}})
    ctx = StageContext(cfg, run_dir, "privacy_audit", console=Console(quiet=True))
    ctx.out.mkdir(parents=True, exist_ok=True)
    train, holdout, outsiders = _inputs(run_dir)
    G = RunFolder(run_dir).stage("gan").generator()
    # A leaky 'linear' (copies of train images) beside a 'plan' of G's own samples.
    sources = {"real": holdout.images, "linear": train.images.clone(), "plan": G.synthesize(G.map(
        torch.randn(12, G.z_dim), torch.zeros(12, dtype=torch.long))).clamp(-1, 1)}
    result = run_release_attacks(ctx, train, holdout, outsiders, sources, {"l2": distance_kind("l2")}, G)

    out = ctx.out
    saved = json.loads((out / "release_attacks.json").read_text())
    assert set(saved["image_sets"]["sources"]) == {"linear", "plan", "random"}  # 'real' is no release
    assert saved["image_sets"]["sources"]["linear"]["best"]["auc"]["value"] >= 0.95
    assert "PLAN" in saved["image_sets"]["paired"]["l2"]["verdict"]
    assert saved["generator"]["setup"]["members"] == 6
    assert "no GAN checkpoint" in saved["generator"]["discriminator"]["skipped"]
    assert (out / "roc_closest_record_l2.png").is_file() and (out / "roc_generator.png").is_file()
    table = pd.read_csv(out / "release_attacks.csv")
    assert {"closest_record", "distance_ratio", "reconstruction"} <= set(table.attack)
    assert {"attack", "null_control", "split_bias"} == set(table.control)
    summary = attack_summary(result)
    assert summary["best"]["linear"]["distance"] == "l2" and summary["seconds"] >= 0


def test_without_a_holdout_split_the_attacks_skip_and_say_why(cpu_cfg, tmp_path):
    run_dir = tmp_path / "run"
    fabricate_upstream(run_dir, holdout_until=12)  # no holdout patients
    cfg = cpu_cfg({"data": {"resolution": RES}})
    ctx = StageContext(cfg, run_dir, "privacy_audit", console=Console(quiet=True))
    ctx.out.mkdir(parents=True, exist_ok=True)
    train, holdout, outsiders = _inputs(run_dir)
    result = run_release_attacks(ctx, train, holdout, outsiders, {}, {}, None)
    assert "no holdout split" in result["skipped"]
    assert json.loads((ctx.out / "release_attacks.json").read_text()) == result
    assert attack_summary(result) == {"skipped": result["skipped"]}
