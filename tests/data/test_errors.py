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

from tests.helpers.data_files import write_image
from tests.helpers.data_files import build_manifest_of, csv_rows, write_csv_tree


def test_missing_folder_is_named(cpu_cfg, tmp_path):
    with pytest.raises(DataError, match=r"shenzhen: folder .*nowhere does not exist"):
        build_manifest_of(cpu_cfg, {"source": "shenzhen", "root": str(tmp_path / "nowhere")})


def test_missing_csv_is_named(cpu_cfg, tmp_path):
    (tmp_path / "train_images").mkdir()
    with pytest.raises(DataError, match=r"aptos: file .*train.csv does not exist"):
        build_manifest_of(cpu_cfg, {"source": "aptos", "root": str(tmp_path), "num_classes": 5, "class_names": list("01234")})


def test_folder_without_matching_files(cpu_cfg, tmp_path):
    with pytest.raises(DataError, match="no MCUCXR_####_L.png files"):
        build_manifest_of(cpu_cfg, {"source": "montgomery", "root": str(tmp_path)})


def test_corrupt_png_is_named_in_the_error(cpu_cfg, tmp_path):
    csv = write_csv_tree(tmp_path, csv_rows(), bad={7})
    with pytest.raises(DataError, match=r"cannot decode image .*im7\.png"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(csv)})


def test_missing_image_file_is_named(cpu_cfg, tmp_path):
    csv = write_csv_tree(tmp_path, csv_rows())
    (tmp_path / "im3.png").unlink()
    with pytest.raises(DataError, match=r"im3\.png"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(csv)})


def test_label_out_of_range(cpu_cfg, tmp_path):
    rows = csv_rows()
    rows[5] = ("im5.png", 2)
    with pytest.raises(DataError, match=r"labels must lie in 0..1.*im5\.png \(label 2\)"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(write_csv_tree(tmp_path, rows))})


def test_empty_class(cpu_cfg, tmp_path):
    rows = [(name, 0) for name, _ in csv_rows()]
    with pytest.raises(DataError, match=r"class 1 \(disease\) has no image"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(write_csv_tree(tmp_path, rows))})


def test_empty_split(cpu_cfg, tmp_path):
    with pytest.raises(DataError, match="split '.*' is empty"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(write_csv_tree(tmp_path, csv_rows(4)))})


def test_duplicate_ids(cpu_cfg, tmp_path):
    rows = csv_rows() + [("im3.png", 1)]
    with pytest.raises(DataError, match=r"duplicate image ids: .*im3\.png"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(write_csv_tree(tmp_path, rows))})


def test_duplicate_ids_in_aptos_csv(cpu_cfg, tmp_path):
    (tmp_path / "train_images").mkdir()
    (tmp_path / "train.csv").write_text("id_code,diagnosis\nabc,0\nabc,1\n")
    with pytest.raises(DataError, match="duplicate ids in .*train.csv: abc"):
        build_manifest_of(cpu_cfg, {"source": "aptos", "root": str(tmp_path), "num_classes": 5, "class_names": list("01234")})


def test_skip_mode_drops_and_reports_bad_images(cpu_cfg, tmp_path):
    csv = write_csv_tree(tmp_path, csv_rows(22), bad={4, 9})
    cfg = cpu_cfg({"data": {"source": "folder", "root": str(csv), "resolution": 16, "on_bad_image": "skip"}})
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="data")
    run_data_stage(ctx)
    bad = pd.read_csv(ctx.out / "bad_images.csv")
    assert sorted(Path(p).name for p in bad["path"]) == ["im4.png", "im9.png"]
    assert json.loads((ctx.out / "summary.json").read_text())["skipped_images"] == 2
    manifest = pd.read_csv(ctx.out / "manifest.csv")
    assert len(manifest) == 20 and list(manifest["index"]) == list(range(20))
    assert not manifest["path"].str.endswith("im4.png").any()
