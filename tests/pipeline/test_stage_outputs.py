"""Typed stage outputs: a stage reads only its declared needs, through their outputs classes, and
the runner refuses to record a stage that did not write its required files."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lightning_privgan.core.atomic import write_text_atomic
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.pipeline.stage import Stage, StageContext, UndeclaredInputError
from lightning_privgan.pipeline.stage_outputs import MissingArtifactError, StageOutputs
from lightning_privgan.stages import load_stages

PACKAGE = Path(__file__).resolve().parents[2] / "lightning_privgan"


class NumberOutputs(StageOutputs):
    stage = "numbers"
    REQUIRED = ("number.txt",)

    def number(self) -> int:
        return int(self.existing("number.txt").read_text())


def _write_number(ctx):
    write_text_atomic(ctx.outputs.path("number.txt"), "41")


def test_declared_input_is_typed_and_undeclared_input_is_refused(cpu_cfg):
    seen = []

    def reads_declared(ctx):
        seen.append(ctx.input("numbers").number() + 1)
        write_text_atomic(ctx.out / "done.txt", "ok")

    def reads_undeclared(ctx):
        ctx.input("numbers")

    stages = [Stage("numbers", _write_number, outputs=NumberOutputs),
              Stage("adder", reads_declared, needs=("numbers",)),
              Stage("sneaky", reads_undeclared, needs=("adder",))]
    with pytest.raises(UndeclaredInputError, match="'sneaky' reads the outputs of 'numbers'"):
        Pipeline(cpu_cfg(), stages).run()
    assert seen == [42]


def test_stage_without_its_required_outputs_is_not_recorded(cpu_cfg):
    stages = [Stage("numbers", lambda ctx: None, outputs=NumberOutputs)]
    pipeline = Pipeline(cpu_cfg(), stages)
    with pytest.raises(RuntimeError, match="without writing number.txt"):
        pipeline.run()
    assert pipeline.record("numbers") is None  # the next run redoes it


def test_missing_artifact_names_the_stage_to_run(tmp_path):
    with pytest.raises(MissingArtifactError, match="run the 'numbers' stage first"):
        NumberOutputs(tmp_path).number()


def test_context_outside_the_runner_follows_the_stage_table(cpu_cfg, tmp_path):
    ctx = StageContext(cpu_cfg(), tmp_path, "walk")
    assert type(ctx.input("gan")).__name__ == "GanOutputs"
    with pytest.raises(UndeclaredInputError):
        ctx.input("privacy_audit")


def test_every_stage_declares_outputs_with_required_files():
    for stage in load_stages():
        assert stage.outputs is not StageOutputs and stage.outputs.stage == stage.name, stage.name
        assert stage.outputs.REQUIRED, stage.name


STAGE_FOLDERS = {"data", "gan", "identity", "auditor", "class_guide", "anchors", "walk", "downstream", "privacy_audit"}


def _stage_folder_literals(path: Path) -> list[str]:
    """String literals used to build a path under another stage's folder: `x / "gan"` or "gan/…"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            right = node.right
            if isinstance(right, ast.Constant) and right.value in STAGE_FOLDERS:
                found.append(right.value)
    return found


@pytest.mark.parametrize("package", ["walk", "audit", "data", "models", "training", "sweep", "release"])
def test_library_code_opens_no_stage_folder_by_path(package):
    offenders = {str(p.relative_to(PACKAGE)): hits for p in sorted((PACKAGE / package).rglob("*.py"))
                 if (hits := _stage_folder_literals(p))}
    assert offenders == {}, f"library code reaches into run folders by path: {offenders}"


def test_stages_read_other_stages_only_through_the_context():
    offenders = {str(p.relative_to(PACKAGE)): hits for p in sorted((PACKAGE / "stages").glob("*.py"))
                 if (hits := _stage_folder_literals(p))}
    assert offenders == {}, f"stages open another stage's folder by path: {offenders}"
