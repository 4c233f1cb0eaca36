"""NaN and infinity are refused for every numeric key before any work (exit 2, key named).

NaN compares False with every bound, so a range check alone let `walk.lambda_priv=nan` walk
NaN paths and `gan.kimg=nan` train forever; the check covers the whole schema, so a key
added without a Range is covered too.
"""
from __future__ import annotations

import math
from dataclasses import fields, is_dataclass

import pytest
from omegaconf import OmegaConf

from lightning_privgan import cli
from lightning_privgan.config import validate
from lightning_privgan.config.errors import ConfigError
from lightning_privgan.config.load import config_from_dict, load_experiment
from lightning_privgan.config.ranges import Range
from lightning_privgan.config.schema import ExperimentConfig

from tests.helpers.experiments import REPO, write_exp


def _float_keys(cls=ExperimentConfig, prefix: str = "") -> list[str]:
    """Every key the schema types as a float (Optional and List[float] included), read from the schema itself."""
    keys = []
    for f in fields(cls):
        default = f.default_factory() if callable(f.default_factory) else f.default  # type: ignore[misc]
        if is_dataclass(default):
            keys += _float_keys(type(default), f"{prefix}{f.name}.")
        elif "float" in str(f.type):
            keys.append(prefix + f.name)
    return keys


@pytest.mark.parametrize("override", ["walk.lambda_priv=nan", "gan.kimg=nan", "data.splits.val=nan",
                                      "gan.kimg=inf", "data.splits.val=inf", "walk.lr=-inf",
                                      "walk.lambda_priv=-inf", "gan.betas=[0.0,nan]", "walk.early_stop_rel_tol=1e999"])
def test_issue_cases_exit_2_naming_the_key_before_anything_is_printed_or_written(tmp_path, override, capsys):
    runs = tmp_path / "runs"
    code = cli.main(["run", str(REPO / "experiments" / "demo.yaml"), override, f"runs_root={runs}", "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert f"key '{override.split('=')[0]}'" in err and "not a finite number" in err and "Traceback" not in err
    assert out == "" and not runs.exists()


def test_float_keys_found_in_the_schema():
    # The generic test below is only as good as this list: it must hold the keys the issue names.
    assert {"walk.lambda_priv", "gan.kimg", "data.splits.val", "gan.betas", "walk.memory_budget_mb"} <= set(_float_keys())


@pytest.mark.parametrize("key", _float_keys())
def test_every_float_key_refuses_nan(key):
    # inf and -inf take the same path (math.isfinite); the issue cases above exercise them.
    default = OmegaConf.select(OmegaConf.structured(ExperimentConfig), key)
    item = [0.5] * (len(default) - 1) + [math.nan] if OmegaConf.is_list(default) else math.nan
    with pytest.raises(ConfigError, match=rf"key '{key}': .*not a finite number"):
        config_from_dict(_nested(key, item))


def _nested(key: str, value) -> dict:
    data: dict = {}
    node = data
    *parents, leaf = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return data


def test_a_key_without_a_range_is_still_covered(monkeypatch):
    monkeypatch.setattr(validate, "RANGES", {})  # as if every key were new and had no Range yet
    with pytest.raises(ConfigError, match=r"key 'walk.lambda_priv': nan is not a finite number"):
        config_from_dict({"walk": {"lambda_priv": math.nan}})


def test_yaml_nan_in_a_file_is_blamed_on_that_file(tmp_path):
    path = write_exp(tmp_path, "name: t\nwalk:\n  lambda_priv: .nan\n")
    with pytest.raises(ConfigError, match=rf"in {path}: key 'walk.lambda_priv': nan is not a finite number"):
        load_experiment(path)


def test_range_itself_refuses_nan_and_infinity():
    assert not Range(0).contains(math.nan) and not Range(0, 1).contains(math.nan)
    assert not Range(0).contains(math.inf) and not Range(high=0).contains(-math.inf)
    assert Range(0).contains(1e300) and Range(0, 1).contains(0.5)
