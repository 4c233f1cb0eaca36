"""Every numeric key is checked against its allowed range before any work (exit 2, key and
range named), and each error is blamed on the file or the command line that set the value."""
from __future__ import annotations

from dataclasses import fields, is_dataclass

import pytest
from rich.console import Console

from lightning_privgan import cli
from lightning_privgan.config.errors import ConfigError
from lightning_privgan.config.load import load_experiment
from lightning_privgan.config.ranges import RANGES
from lightning_privgan.config.schema import ExperimentConfig
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.pipeline.stage import Stage

from tests.helpers.experiments import REPO, write_exp


def _numeric_keys(cls=ExperimentConfig, prefix: str = "") -> list[str]:
    keys = []
    for f in fields(cls):
        default = f.default_factory() if callable(f.default_factory) else f.default  # type: ignore[misc]
        if is_dataclass(default):
            keys += _numeric_keys(type(default), f"{prefix}{f.name}.")
        elif any(t in str(f.type) for t in ("int", "float")):
            keys.append(prefix + f.name)
    return keys


def test_every_numeric_schema_key_has_a_range():
    keys = set(_numeric_keys())
    assert keys - set(RANGES) == set(), "add these keys to lightning_privgan/config/ranges.py"
    assert set(RANGES) - keys == set(), "ranges.py names keys the schema does not have"


def _outside(key: str) -> str:
    allowed = RANGES[key]
    value = allowed.low if allowed.low_open else (allowed.low - 1 if allowed.low is not None else allowed.high + 1)
    if key == "gan.betas":
        return "[0.0,1.0]"
    if key == "seed":
        return str(2**31)
    return str(int(value)) if float(value).is_integer() else str(value)


@pytest.mark.parametrize("key", sorted(RANGES))
def test_out_of_range_value_is_refused_naming_key_and_range(tmp_path, key):
    path = write_exp(tmp_path, "name: t\n")
    with pytest.raises(ConfigError) as err:
        load_experiment(path, [f"{key}={_outside(key)}"])
    text = str(err.value)
    assert f"key '{key}'" in text and "on the command line" in text and "must be" in text, text
    assert RANGES[key].describe() in text, text


@pytest.mark.parametrize("override", ["downstream.seeds=0", "gan.kimg=-1", "gan.kimg=0", "walk.optim_steps=-5",
                                      "gan.batch_size=0", "walk.lr=-1"])
def test_issue_cases_exit_2_before_any_work(tmp_path, override, capsys):
    code = cli.main(["run", str(REPO / "experiments" / "demo.yaml"), override, f"runs_root={tmp_path}"])
    err = capsys.readouterr().err
    assert code == 2 and override.split("=")[0] in err and "must be" in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_error_is_blamed_on_the_command_line_or_on_the_file_that_set_the_value(tmp_path):
    path = write_exp(tmp_path, "name: t\ngan:\n  kimg: -2\n")
    with pytest.raises(ConfigError, match=rf"in {path}: key 'gan.kimg'"):
        load_experiment(path)
    fine = write_exp(tmp_path, "name: t\n", name="fine.yaml")
    with pytest.raises(ConfigError, match=r"^Configuration error on the command line: key 'data.splits'"):
        load_experiment(fine, ["data.splits.train=0.9"])
    with pytest.raises(ConfigError, match=r"on the command line: key 'data.class_names'"):
        load_experiment(fine, ["data.num_classes=3"])


def test_anchors_k_is_checked_against_class_counts_as_soon_as_the_data_stage_knows_them(cpu_cfg):
    from lightning_privgan.stages.data import STAGE as DATA

    ran: list[str] = []
    gan = Stage("gan", lambda ctx: ran.append("gan"), needs=("data",), config_keys=("gan",))
    quiet = Console(quiet=True)
    with pytest.raises(ConfigError, match=r"key 'anchors.k': 40 is larger than the \d+ train images of class"):
        Pipeline(cpu_cfg({"anchors": {"k": 40}}), [DATA, gan], console=quiet).run()
    assert ran == []  # refused right after the data stage
    Pipeline(cpu_cfg(), [DATA, gan], console=quiet).run()
    assert ran == ["gan"]
    ran.clear()
    # data cached: the check comes before any work
    with pytest.raises(ConfigError, match=r"anchors.k.*must be >= 1 and <= \d+"):
        Pipeline(cpu_cfg({"anchors": {"k": 40}}), [DATA, gan], console=quiet).run(force=["gan"])
    assert ran == []
    with pytest.raises(ConfigError, match=r"after anchors.max_images"):
        Pipeline(cpu_cfg({"anchors": {"k": 3, "max_images": 4}}), [DATA, gan], console=quiet).run(force=["gan"])
    Pipeline(cpu_cfg({"anchors": {"k": 40, "method": "inverted"}}), [DATA, gan], console=quiet).run(force=["gan"])
    assert ran == ["gan"]
