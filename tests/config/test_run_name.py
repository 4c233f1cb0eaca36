"""A run name is one folder name inside runs_root: `name=../../x` must not write a run elsewhere."""
from __future__ import annotations

import pytest

from lightning_privgan import cli
from lightning_privgan.config.errors import ConfigError
from lightning_privgan.config.load import config_from_dict

from tests.helpers.experiments import REPO


@pytest.mark.parametrize("name", ["../../somewhere", "..", ".", "/tmp/elsewhere", "a/b", "a\\b", "", "  "])
def test_a_name_that_is_not_one_folder_name_is_refused(name):
    with pytest.raises(ConfigError, match=r"key 'name': .* is not a plain folder name"):
        config_from_dict({"name": name})


@pytest.mark.parametrize("name", ["demo", "sweep_lambda_priv_0p3", "lambda1_steps3", "run.2", "..x"])
def test_plain_names_are_accepted(name):
    assert config_from_dict({"name": name}).name == name


def test_cli_refuses_an_escaping_name_with_exit_2_and_writes_nothing(tmp_path, capsys):
    runs = tmp_path / "a" / "b" / "runs"
    code = cli.main(["run", str(REPO / "experiments" / "demo.yaml"), "name=../../somewhere", f"runs_root={runs}",
                     "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 2 and "key 'name'" in err and "../../somewhere" in err and "Traceback" not in err
    assert out == "" and list(tmp_path.rglob("*")) == []
