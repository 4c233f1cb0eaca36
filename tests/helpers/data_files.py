"""Small image trees in the published layouts of the data sets, and loading them through a source."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from lightning_privgan.data.manifest import build_manifest
from lightning_privgan.data.sources import load_source

RES = 16


def write_image(path: Path, seed: int, mode: str = "L", size=(40, 30), fmt: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    shape = (size[1], size[0]) if mode == "L" else (size[1], size[0], 3)
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(path, format=fmt)


def load(cpu_cfg, data: dict):
    cfg = cpu_cfg({"data": {"resolution": RES, **data}})
    source = load_source(cfg.data, seed=0).write_images(cfg.runs_root + "/images")  # decodes the files
    return source, build_manifest(source, cfg.data, seed=0)


def write_tb_set(folder: Path, prefix: str, n: int) -> None:
    for i in range(n):
        write_image(folder / f"{prefix}_{i + 1:04d}_{i % 2}.png", seed=i)


def build_manifest_of(cpu_cfg, data: dict):
    cfg = cpu_cfg({"data": {"resolution": 16, **data}})
    source = load_source(cfg.data, seed=0).write_images(cfg.runs_root + "/images")  # decodes the files
    return build_manifest(source, cfg.data, seed=0)


def write_csv_tree(tmp_path: Path, rows: list[tuple[str, int]], bad: set[int] = frozenset()) -> Path:
    for i, (name, _) in enumerate(rows):
        if i in bad:
            (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
        elif not (tmp_path / name).exists():
            write_image(tmp_path / name, seed=i)
    csv = tmp_path / "list.csv"
    csv.write_text("path,label\n" + "".join(f"{n},{l}\n" for n, l in rows))
    return csv


def csv_rows(n=20):
    return [(f"im{i}.png", i % 2) for i in range(n)]


def five_classes(cpu_cfg_overrides: dict) -> dict:
    """Data settings of a five-grade colour source (DR fundus), with `cpu_cfg_overrides`."""
    return {"num_classes": 5, "class_names": ["0", "1", "2", "3", "4"], "channels": 3, **cpu_cfg_overrides}
