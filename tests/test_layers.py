"""The package's folders are floors: every import points down (or stays within its floor's folder),
and no files import each other in a circle. Read from the source with `ast`, imports inside
functions included; a stage module loaded by name from the stage table is no import."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lightning_privgan"

# Bottom to top; folders on one floor do not import each other.
FLOORS = (
    ("core",),
    ("config",),
    ("metrics",),
    ("data", "models"),
    ("training",),
    ("walk",),
    ("audit",),
    ("pipeline",),
    ("stages",),
    ("sweep", "release"),
    ("replicate",),  # replicates of any experiment, the sweep included
    ("cli",),
    ("__main__",),
)
FLOOR = {folder: i for i, folders in enumerate(FLOORS) for folder in folders}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                candidates = [f"{module}.{a.name}" for a in node.names] + [module]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            for target in candidates:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    targets.add(target)
        graph[name] = targets
    return graph


def _folder(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_every_import_points_down_a_floor():
    graph = _imports()
    assert set(map(_folder, graph)) - {""} == set(FLOOR), "a folder is on no floor: add it to FLOORS"
    upward = sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                    if _folder(a) != _folder(b) and _folder(a) and FLOOR[_folder(a)] <= FLOOR[_folder(b)])
    assert not upward, "imports that do not point down a floor:\n" + "\n".join(upward)


def test_no_files_import_each_other_in_a_circle():
    graph = _imports()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target] if target in path else [module, target]
            if target not in state:
                found = visit(target, path + [target])
                if found:
                    return found
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            circle = visit(module, [module])
            assert circle is None, "import circle: " + " -> ".join(circle)
