"""Every third-party module the package imports is a declared dependency in pyproject.toml.

A module that arrives only through another package's dependencies (scipy came with
albumentations) breaks the day that package drops it; declaring it makes the promise ours.
"""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "lightning_privgan"

# Import name -> distribution name, where they differ (the rest are the same name, PEP 503-normalised).
IMPORT_TO_DISTRIBUTION = {
    "PIL": "pillow",
    "yaml": "pyyaml",
    "cv2": "opencv-python-headless",  # the build albumentations itself requires (no GUI libraries)
    "sklearn": "scikit-learn",
    "pytorch_lightning": "pytorch-lightning",
    "lightning_fabric": "pytorch-lightning",  # pytorch-lightning's wheel ships lightning_fabric inside it
}

# Imports that may stay undeclared because the code guards them (try/except ImportError) and
# works without them: import name -> why. Every entry must still be such a guarded import.
OPTIONAL_IMPORTS: dict[str, str] = {}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = set()
    for requirement in project["dependencies"]:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match, f"cannot read the requirement {requirement!r} in pyproject.toml"
        names.add(_normalised(match.group(1)))
    return names


def _guarded_by_import_error(tree: ast.AST) -> set[int]:
    """ids of the Import nodes that sit in a try whose handlers catch ImportError."""
    guarded = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        caught = set()
        for handler in node.handlers:
            types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            caught |= {t.id for t in types if isinstance(t, ast.Name)}
        if caught & {"ImportError", "ModuleNotFoundError"}:
            guarded |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return guarded


def third_party_imports() -> dict[str, dict[str, list[str]]]:
    """{"required"|"optional": {top-level module: [files importing it]}}, inside functions too."""
    found: dict[str, dict[str, list[str]]] = {"required": {}, "optional": {}}
    for path in sorted((REPO / PACKAGE).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        guarded = _guarded_by_import_error(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top == PACKAGE:
                    continue
                kind = "optional" if id(node) in guarded else "required"
                found[kind].setdefault(top, []).append(str(path.relative_to(REPO)))
    return found


def test_every_imported_module_is_a_declared_dependency():
    declared = declared_distributions()
    imports = third_party_imports()
    assert imports["required"], "found no third-party import at all: the scan is broken"
    undeclared = {
        module: files
        for module, files in imports["required"].items()
        if _normalised(IMPORT_TO_DISTRIBUTION.get(module, module)) not in declared
    }
    assert not undeclared, "imported but not in pyproject.toml [project] dependencies: " + "; ".join(
        f"{m} ({IMPORT_TO_DISTRIBUTION.get(m, m)}, in {', '.join(sorted(set(f)))})" for m, f in undeclared.items())
    unlisted = {m for m in imports["optional"]
                if _normalised(IMPORT_TO_DISTRIBUTION.get(m, m)) not in declared and m not in OPTIONAL_IMPORTS}
    assert not unlisted, f"guarded imports neither declared nor listed in OPTIONAL_IMPORTS: {sorted(unlisted)}"
    stale = set(OPTIONAL_IMPORTS) - set(imports["optional"])
    assert not stale, f"OPTIONAL_IMPORTS lists modules no guarded import uses: {sorted(stale)}"


def test_declared_dependencies_are_ranges_not_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pinned = [r for r in project["dependencies"] if "==" in r or "===" in r]
    assert not pinned, f"pinned dependencies (give a range): {pinned}"


def test_the_import_name_map_matches_the_installed_distributions():
    # A wrong entry in IMPORT_TO_DISTRIBUTION would make the first test pass for the wrong reason.
    providers = importlib.metadata.packages_distributions()
    for module, distribution in IMPORT_TO_DISTRIBUTION.items():
        installed = {_normalised(d) for d in providers.get(module, [])}
        if installed:  # not installed here (sklearn): nothing to compare
            assert _normalised(distribution) in installed, f"{module} is provided by {sorted(installed)}, not {distribution}"
