"""Experiment configuration: merging, validation errors that name key and file, base.yaml in step."""
from __future__ import annotations

from pathlib import Path

import pytest

from lightning_privgan.config.defaults_yaml import render_base_yaml
from lightning_privgan.config.errors import ConfigError
from lightning_privgan.config.load import load_experiment
from tests.helpers.experiments import write_exp

REPO = Path(__file__).resolve().parents[2]


def test_base_yaml_holds_every_default():
    assert (REPO / "experiments" / "base.yaml").read_text() == render_base_yaml(), "run `make base-yaml`"


@pytest.mark.parametrize("exp", sorted(str(p.relative_to(REPO / "experiments")) for p in (REPO / "experiments").rglob("*.yaml") if p.name != "base.yaml"))
def test_every_experiment_file_validates(exp):
    cfg = load_experiment(REPO / "experiments" / exp)
    assert cfg.name and isinstance(cfg.seed, int)


def test_merge_order_base_experiment_then_overrides(tmp_path):
    path = write_exp(tmp_path, "name: t\nseed: 3\ngan:\n  kimg: 5\n")
    cfg = load_experiment(path, ["gan.kimg=7", "data.resolution=64"])
    assert cfg.seed == 3 and cfg.gan.kimg == 7 and cfg.data.resolution == 64
    assert cfg.walk.lambda_priv == 1.0  # untouched default from base.yaml


def test_interpolation_is_resolved(tmp_path):
    path = write_exp(tmp_path, "name: t\nstream:\n  batch_size: ${data.batch_size}\n")
    assert load_experiment(path).stream.batch_size == 64


def test_unknown_key_names_key_file_and_allowed(tmp_path):
    path = write_exp(tmp_path, "name: t\ndata:\n  resolutoin: 64\n")
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    text = str(err.value)
    assert "data.resolutoin" in text and str(path) in text and "resolution" in text and "Did you mean" in text


def test_wrong_type_names_key_and_type(tmp_path):
    path = write_exp(tmp_path, "name: t\ngan:\n  kimg: lots\n")
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    assert "gan.kimg" in str(err.value) and "float" in str(err.value)


def test_bad_override_blames_command_line(tmp_path):
    path = write_exp(tmp_path, "name: t\n")
    with pytest.raises(ConfigError, match="command line.*walk.stepz"):
        load_experiment(path, ["walk.stepz=3"])
    with pytest.raises(ConfigError, match="key.sub=value"):
        load_experiment(path, ["walk.n_steps"])


@pytest.mark.parametrize(
    "body, key",
    [
        ("data:\n  source: dicom\n", "data.source"),
        ("data:\n  resolution: 48\n", "data.resolution"),
        ("data:\n  splits:\n    train: 0.9\n", "data.splits"),
        ("walk:\n  methods: [linear, curved]\n", "walk.methods"),
        ("data:\n  num_classes: 5\n", "data.class_names"),
        ("identity:\n  head: arcface\n", "identity.head"),
        ("auditor:\n  head_scale: 0\n", "auditor.head_scale"),
    ],
)
def test_value_errors_name_the_key(tmp_path, body, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_experiment(write_exp(tmp_path, "name: t\n" + body))


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_experiment(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_experiment(write_exp(tmp_path, "name: [unclosed\n"))


def test_resolved_config_is_read_only(tmp_path):
    cfg = load_experiment(write_exp(tmp_path, "name: t\n"))
    with pytest.raises(Exception):
        cfg.seed = 5


def test_extends_merges_parent_experiment_first(tmp_path):
    write_exp(tmp_path, "name: parent\nseed: 4\ngan:\n  kimg: 3\n", name="parent.yaml")
    (tmp_path / "sweep").mkdir()
    child = tmp_path / "sweep" / "child.yaml"
    child.write_text("extends: ../parent.yaml\nname: child\ngan:\n  lr: 0.01\n")
    cfg = load_experiment(child)
    assert (cfg.name, cfg.seed, cfg.gan.kimg, cfg.gan.lr) == ("child", 4, 3, 0.01)
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\nname: loop\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_experiment(tmp_path / "loop.yaml")


def test_duplicate_key_is_an_error_not_a_silent_override(tmp_path):
    path = write_exp(tmp_path, "name: t\ngan:\n  kimg: 3\ngan:\n  lr: 0.1\n")
    with pytest.raises(ConfigError, match="key 'gan' appears twice"):
        load_experiment(path)
