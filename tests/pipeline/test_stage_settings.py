"""What re-runs when a setting changes, with the real stages' declared settings (stand-in
bodies that write each stage's REQUIRED files): the anchors' projection settings and a
pretrained network's unused training settings do not retrain the GAN."""
from __future__ import annotations

import dataclasses

from rich.console import Console

from lightning_privgan.core.atomic import write_json_atomic
from lightning_privgan.core.hashing import config_slice, stage_hash
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.stages import load_stages


def stand_ins(calls: list[str]):
    def body(stage):
        def run(ctx):
            calls.append(stage.name)
            if ctx.is_global_zero:
                for name in stage.outputs.REQUIRED:
                    ctx.outputs.path(name).write_text("stand-in")
        return run

    # check_config reads real outputs (class counts); the stand-ins write placeholders
    return [dataclasses.replace(stage, run=body(stage), check_config=None) for stage in load_stages()]


def reruns(cfg_before, cfg_after) -> list[str]:
    calls: list[str] = []
    Pipeline(cfg_before, stand_ins(calls), console=Console(quiet=True)).run()
    calls.clear()
    Pipeline(cfg_after, stand_ins(calls), console=Console(quiet=True)).run()
    return calls


def test_projection_settings_rerun_the_anchors_not_the_gan(cpu_cfg):
    calls = reruns(cpu_cfg(), cpu_cfg({"gan": {"projection": {"steps": 7}}}))
    assert "gan" not in calls and calls[0] == "anchors"


def test_a_training_setting_retrains_a_trained_gan(cpu_cfg):
    assert reruns(cpu_cfg(), cpu_cfg({"gan": {"kimg": 1.5}}))[0] == "gan"


def test_a_pretrained_network_ignores_training_settings_but_not_its_file(cpu_cfg, tmp_path):
    pkl = tmp_path / "net.pkl"
    pkl.write_bytes(b"a network")
    pretrained = {"gan": {"pretrained": str(pkl)}}
    assert reruns(cpu_cfg(pretrained), cpu_cfg({"gan": {"pretrained": str(pkl), "kimg": 99.0, "lr": 0.1}})) == []
    calls = reruns(cpu_cfg(pretrained), cpu_cfg({"gan": {"pretrained": str(pkl), "fd_num_images": 64}}))
    assert calls[0] == "gan"
    before = cpu_cfg(pretrained)
    pkl.write_bytes(b"another network")  # pretrained_sha256 follows the file's content
    assert reruns(before, cpu_cfg(pretrained))[0] == "gan"
