"""Mistakes on the command line or in an experiment file: exit 2, one line naming the problem,
before anything is printed, created or run."""
from __future__ import annotations

import pytest

from lightning_privgan import cli
from lightning_privgan.config.errors import ConfigError
from lightning_privgan.config.load import load_experiment

from tests.helpers.experiments import REPO, write_exp

DEMO = str(REPO / "experiments" / "demo.yaml")


def _run(tmp_path, capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["run", DEMO, f"runs_root={tmp_path / 'runs'}", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_unclosed_list_override_is_one_line_naming_the_override(tmp_path, capsys):
    code, out, err = _run(tmp_path, capsys, "walk.methods=[linear", "--dry-run")
    assert code == 2 and "'walk.methods=[linear'" in err and "not valid YAML" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and out == ""


@pytest.mark.parametrize("option", [["--only", "nosuch"], ["--from", "nosuch"], ["--force", "nosuch"]])
@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_unknown_stage_exits_2_before_printing_or_creating_anything(tmp_path, capsys, option, dry_run):
    code, out, err = _run(tmp_path, capsys, *option, *dry_run)
    assert code == 2 and f"{option[0]} nosuch: unknown stage" in err and "privacy_audit" in err, err
    assert out == "" and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("overrides,missing", [(["walk.methods=[linear]"], "plan"),
                                               (["walk.methods=[plan]", "downstream.sources=[real,linear]"], "linear")])
def test_a_downstream_source_the_walk_does_not_compute_is_refused_naming_both_keys(tmp_path, capsys, overrides,
                                                                                   missing):
    code, out, err = _run(tmp_path, capsys, *overrides, "--dry-run")
    assert code == 2 and "key 'downstream.sources'" in err and "walk.methods" in err and f"'{missing}'" in err, err
    assert out == "" and not (tmp_path / "runs").exists()


def test_sources_the_walk_computes_are_accepted(tmp_path):
    path = write_exp(tmp_path, "name: t\nwalk:\n  methods: [plan]\ndownstream:\n  sources: [real, plan, ksame]\n")
    assert list(load_experiment(path).walk.methods) == ["plan"]


@pytest.mark.parametrize("body", ["", "\n", "# only a comment\n"])
def test_an_empty_experiment_file_is_refused(tmp_path, body):
    path = write_exp(tmp_path, body, name="empty.yaml")
    with pytest.raises(ConfigError, match=rf"in {path}: the file sets no keys"):
        load_experiment(path)


def test_an_experiment_that_only_extends_another_is_not_empty(tmp_path):
    write_exp(tmp_path, "name: parent\n", name="parent.yaml")
    (tmp_path / "child.yaml").write_text("extends: parent.yaml\n")
    assert load_experiment(tmp_path / "child.yaml").name == "parent"
