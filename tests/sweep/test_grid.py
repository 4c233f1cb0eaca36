"""The sweep's grid: parsing the axes, expanding them into cells, each cell's overrides."""
from __future__ import annotations

import pytest

from lightning_privgan.sweep.grid import (DEFAULT_LAMBDA_PRIV, DEFAULT_OPTIM_STEPS, SweepCell, expand_grid,
                                          parse_lambdas, parse_steps)


def test_default_grid_is_the_issue_lambdas_by_two_step_counts_cheap_row_first():
    cells = expand_grid(DEFAULT_LAMBDA_PRIV, DEFAULT_OPTIM_STEPS)
    assert DEFAULT_LAMBDA_PRIV == (0.0, 0.03, 0.1, 0.3, 1.0, 3.0)
    assert len(cells) == 12 and len({c.name for c in cells}) == 12
    assert [c.optim_steps for c in cells] == [100] * 6 + [300] * 6
    assert [c.lambda_priv for c in cells[:6]] == list(DEFAULT_LAMBDA_PRIV)


def test_cell_names_and_overrides():
    cell = SweepCell(0.03, 100)
    assert cell.name == "lambda0.03_steps100"
    assert SweepCell(3.0, 300).name == "lambda3_steps300"
    assert cell.overrides() == ["walk.lambda_priv=0.03", "walk.optim_steps=100"]


def test_values_are_parsed_and_the_cells_kept_in_the_given_order():
    assert parse_lambdas("1, 0,0.5") == (1.0, 0.0, 0.5)
    assert parse_steps("300,0") == (300, 0)
    cells = expand_grid(parse_lambdas("1,0"), parse_steps("300,50"))
    assert [(c.lambda_priv, c.optim_steps) for c in cells] == [(1.0, 300), (0.0, 300), (1.0, 50), (0.0, 50)]


@pytest.mark.parametrize("text, message", [
    ("0,x", "'x' is not a number"),
    ("0,,1", "empty value"),
    ("-0.1", "out of range"),
    ("nan", "out of range"),
    ("0.1,0.1", "given twice"),
])
def test_bad_lambdas_are_named(text, message):
    with pytest.raises(ValueError, match=message) as err:
        parse_lambdas(text)
    assert "--lambda-priv" in str(err.value)


@pytest.mark.parametrize("text, message", [("100,2.5", "not a whole number"), ("-1", "out of range"), ("", "empty")])
def test_bad_steps_are_named(text, message):
    with pytest.raises(ValueError, match=message) as err:
        parse_steps(text)
    assert "--optim-steps" in str(err.value)


def test_an_empty_axis_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        expand_grid((), (100,))
