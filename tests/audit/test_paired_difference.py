"""PLAN vs linear on the same pairs: paired bootstrap CIs and the report's verdict."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.audit.paired_difference import describe, near_duplicate_share, paired_bootstrap
from lightning_privgan.stages.report import paired_lines


def test_a_consistent_gain_is_significant_and_noise_is_not():
    g = torch.Generator().manual_seed(0)
    linear = torch.rand(40, generator=g)
    better = paired_bootstrap(linear, linear + 0.05 + 0.01 * torch.randn(40, generator=g))
    assert better.significant and 0.04 < better.low < better.mean < better.high < 0.06
    noise = paired_bootstrap(linear, linear + 0.2 * torch.randn(40, generator=g))
    assert noise.low < 0 < noise.high and not noise.significant
    assert "no significant difference" in describe("x", noise, "higher")
    assert "PLAN is better" in describe("x", better, "higher") and "PLAN is worse" in describe("x", better, "lower")


def test_the_pairing_matters():
    # Large spread between pairs, identical small gain within each: only a paired test sees it.
    linear = torch.linspace(0, 10, 30)
    d = paired_bootstrap(linear, linear + 0.1)
    assert d.low == pytest.approx(0.1) and d.high == pytest.approx(0.1)


def test_near_duplicate_share_and_bad_input():
    d = torch.tensor([[0.1, 0.5, 0.05], [0.9, 0.8, 0.7]])
    assert near_duplicate_share(d, 0.2).tolist() == pytest.approx([2 / 3, 0.0])
    with pytest.raises(ValueError, match="per-pair vectors"):
        paired_bootstrap(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="resamples"):
        paired_bootstrap(torch.zeros(3), torch.ones(3), resamples=10)


def test_report_lines_state_the_verdict():
    paired = {"closest_distance": paired_bootstrap(torch.zeros(20), torch.full((20,), 0.01)).to_dict(),
              "near_duplicate_share": paired_bootstrap(torch.full((20,), 0.5), torch.full((20,), 0.5)).to_dict(),
              "threshold": 0.05}
    lines = paired_lines(paired, "auditor")
    assert any("closest auditor distance" in line and "PLAN is better" in line for line in lines)
    assert any("near-duplicate threshold (0.0500)" in line and "no significant difference" in line for line in lines)
    assert paired_lines({}, "auditor") == []


def test_compare_paths_needs_both_methods():
    from lightning_privgan.audit.paired_difference import compare_paths

    lin = torch.tensor([[0.3, 0.1, 0.3], [0.4, 0.2, 0.4]])
    out = compare_paths(lin, lin + 0.05, threshold=0.15, seed=0)
    assert out["closest_distance"]["mean"] == pytest.approx(0.05) and out["threshold"] == 0.15
    assert out["near_duplicate_share"]["mean"] == pytest.approx(-1 / 6)
    assert compare_paths(None, lin, 0.15, 0) == {} and compare_paths(lin, None, 0.15, 0) == {}


def test_compare_paths_separates_inner_points_from_shared_anchors():
    from lightning_privgan.audit.paired_difference import compare_paths

    # Path 0's closest point is its first anchor (0.05) for both methods; PLAN moved the inner
    # points away by 0.1, which the whole-path closest distance cannot show for that pair.
    lin = torch.tensor([[0.05, 0.2, 0.2, 0.3], [0.4, 0.1, 0.2, 0.4]])
    plan = lin.clone()
    plan[0, 1:-1] += 0.1
    plan[1, 1:-1] += 0.3  # now path 1's closest point is its first anchor too
    out = compare_paths(lin, plan, threshold=0.15, seed=0)
    assert out["closest_distance"]["mean"] == pytest.approx(0.15)  # (0 + 0.3) / 2
    assert out["inner_closest_distance"]["mean"] == pytest.approx(0.2)
    assert out["inner_near_duplicate_share"]["mean"] == pytest.approx(-0.25)  # pair 1: one of 2 inner points
    assert out["endpoint_closest"] == {"linear": 0.5, "plan": 1.0}
    lines = paired_lines(out, "auditor")
    assert any("50% of linear and 100% of PLAN paths" in line for line in lines)
    assert sum("inner points only" in line for line in lines) == 2
