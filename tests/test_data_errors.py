"""Bad input gets a clear DataError naming the problem (and skip mode reports what it skipped)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from lightning_privgan.data.errors import DataError
from lightning_privgan.data.manifest import build_manifest
from lightning_privgan.data.sources import load_source
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages.data import run_data_stage

from test_data_sources import write_image


def _build(cpu_cfg, data: dict):
    cfg = cpu_cfg({"data": {"resolution": 16, **data}})
    source = load_source(cfg.data, seed=0).write_images(cfg.runs_root + "/images")  # decodes the files
    return build_manifest(source, cfg.data, seed=0)


def _csv(tmp_path: Path, rows: list[tuple[str, int]], bad: set[int] = frozenset()) -> Path:
    for i, (name, _) in enumerate(rows):
        if i in bad:
            (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
        elif not (tmp_path / name).exists():
            write_image(tmp_path / name, seed=i)
    csv = tmp_path / "list.csv"
    csv.write_text("path,label\n" + "".join(f"{n},{l}\n" for n, l in rows))
    return csv


def _rows(n=20):
    return [(f"im{i}.png", i % 2) for i in range(n)]


def test_missing_folder_is_named(cpu_cfg, tmp_path):
    with pytest.raises(DataError, match=r"shenzhen: folder .*nowhere does not exist"):
        _build(cpu_cfg, {"source": "shenzhen", "root": str(tmp_path / "nowhere")})


def test_missing_csv_is_named(cpu_cfg, tmp_path):
    (tmp_path / "train_images").mkdir()
    with pytest.raises(DataError, match=r"aptos: file .*train.csv does not exist"):
        _build(cpu_cfg, {"source": "aptos", "root": str(tmp_path), "num_classes": 5, "class_names": list("01234")})


def test_folder_without_matching_files(cpu_cfg, tmp_path):
    with pytest.raises(DataError, match="no MCUCXR_####_L.png files"):
        _build(cpu_cfg, {"source": "montgomery", "root": str(tmp_path)})


def test_corrupt_png_is_named_in_the_error(cpu_cfg, tmp_path):
    csv = _csv(tmp_path, _rows(), bad={7})
    with pytest.raises(DataError, match=r"cannot decode image .*im7\.png"):
        _build(cpu_cfg, {"source": "folder", "root": str(csv)})


def test_missing_image_file_is_named(cpu_cfg, tmp_path):
    csv = _csv(tmp_path, _rows())
    (tmp_path / "im3.png").unlink()
    with pytest.raises(DataError, match=r"im3\.png"):
        _build(cpu_cfg, {"source": "folder", "root": str(csv)})


def test_label_out_of_range(cpu_cfg, tmp_path):
    rows = _rows()
    rows[5] = ("im5.png", 2)
    with pytest.raises(DataError, match=r"labels must lie in 0..1.*im5\.png \(label 2\)"):
        _build(cpu_cfg, {"source": "folder", "root": str(_csv(tmp_path, rows))})


def test_empty_class(cpu_cfg, tmp_path):
    rows = [(name, 0) for name, _ in _rows()]
    with pytest.raises(DataError, match=r"class 1 \(disease\) has no image"):
        _build(cpu_cfg, {"source": "folder", "root": str(_csv(tmp_path, rows))})


def test_empty_split(cpu_cfg, tmp_path):
    with pytest.raises(DataError, match="split '.*' is empty"):
        _build(cpu_cfg, {"source": "folder", "root": str(_csv(tmp_path, _rows(4)))})


def test_duplicate_ids(cpu_cfg, tmp_path):
    rows = _rows() + [("im3.png", 1)]
    with pytest.raises(DataError, match=r"duplicate image ids: .*im3\.png"):
        _build(cpu_cfg, {"source": "folder", "root": str(_csv(tmp_path, rows))})


def test_duplicate_ids_in_aptos_csv(cpu_cfg, tmp_path):
    (tmp_path / "train_images").mkdir()
    (tmp_path / "train.csv").write_text("id_code,diagnosis\nabc,0\nabc,1\n")
    with pytest.raises(DataError, match="duplicate ids in .*train.csv: abc"):
        _build(cpu_cfg, {"source": "aptos", "root": str(tmp_path), "num_classes": 5, "class_names": list("01234")})


def test_skip_mode_drops_and_reports_bad_images(cpu_cfg, tmp_path):
    csv = _csv(tmp_path, _rows(22), bad={4, 9})
    cfg = cpu_cfg({"data": {"source": "folder", "root": str(csv), "resolution": 16, "on_bad_image": "skip"}})
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="data")
    run_data_stage(ctx)
    bad = pd.read_csv(ctx.out / "bad_images.csv")
    assert sorted(Path(p).name for p in bad["path"]) == ["im4.png", "im9.png"]
    assert json.loads((ctx.out / "summary.json").read_text())["skipped_images"] == 2
    manifest = pd.read_csv(ctx.out / "manifest.csv")
    assert len(manifest) == 20 and list(manifest["index"]) == list(range(20))
    assert not manifest["path"].str.endswith("im4.png").any()
