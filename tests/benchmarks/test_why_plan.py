"""benchmarks/why_plan.py on a fabricated finished run: φ_id's scores per kind of image and the
walk's term gradients come out as numbers, and the λ_priv at which the terms match is their ratio."""
from __future__ import annotations

import re
import shutil

import torch
from omegaconf import OmegaConf

from lightning_privgan.models.classifier_io import export_classifier
from lightning_privgan.models.components.image_classifier import ImageClassifier
from tests.helpers.benchmarks import run_script_here
from tests.helpers.fabricated_run import RES, fabricate_upstream


def test_why_plan_reports_the_guides_view_of_a_finished_run(cpu_cfg, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    fabricate_upstream(run)
    shutil.copytree(run / "auditor", run / "identity")  # a φ_id: one class per training patient
    (run / "class_guide").mkdir()
    torch.manual_seed(1)
    export_classifier(ImageClassifier("compact", 1, RES, 2, width=4), run / "class_guide" / "model.pt")
    OmegaConf.save(cpu_cfg({"walk": {"lambda_priv": 0.5}}), run / "config.yaml")
    result = run_script_here("why_plan.py", str(run), "--pairs", "4", capsys=capsys, monkeypatch=monkeypatch)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "λ_priv 0.5" in out and "12 identities in φ_id" in out
    for row, n in (("real train (known patients)", 12 * 3), ("real holdout (unseen)", 4 * 3),
                   ("linear path, inner points", 4 * 3), ("plan path, inner points", 4 * 3)):
        match = re.search(rf"{re.escape(row)}\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", out)
        assert match, f"no row {row!r} in:\n{out}"
        assert int(match[1]) == n and 0 < float(match[4]) <= 1
    priv = float(re.search(r"privacy term  λ_priv·KL: ([\d.e+-]+)  \(unweighted ([\d.e+-]+)\)", out)[2])
    cls = float(re.search(r"class term    λ_cls·CE:  ([\d.e+-]+)  \(unweighted ([\d.e+-]+)\)", out)[2])
    match_at = float(re.search(r"the two match: ([\d.e+-]+)", out)[1])
    assert priv > 0 and cls > 0 and abs(match_at - cls / priv) <= 0.01 * match_at
