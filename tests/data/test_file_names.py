"""Rows and files a loader cannot use are named in one clear error (or skipped and listed):
empty path cells, symbolic link loops, .jpg where .jpeg is expected, missing APTOS grades."""
from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from rich.console import Console

from lightning_privgan.data.errors import DataError
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages.data import run_data_stage

from tests.helpers.data_files import build_manifest_of, csv_rows, five_classes, load, write_csv_tree, write_image, write_tb_set


def test_an_empty_path_cell_names_its_csv_row(cpu_cfg, tmp_path):
    csv = write_csv_tree(tmp_path, csv_rows())
    lines = csv.read_text().splitlines()
    lines.insert(4, ",1")  # data row 4 has a label but no file
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"folder: 1 row\(s\) of .*list\.csv have an empty path \(data row\(s\) 4, "
                                        r"counted from 1 below the header\)"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(csv)})


def _with_loop(tmp_path):
    csv = write_csv_tree(tmp_path, csv_rows())
    os.symlink(tmp_path / "loop.png", tmp_path / "loop.png")  # points at itself
    csv.write_text(csv.read_text() + "loop.png,1\n")
    return csv


def test_a_symlink_loop_is_a_bad_image_named_in_the_error(cpu_cfg, tmp_path):
    csv = _with_loop(tmp_path)
    with pytest.raises(DataError, match=r"cannot decode image .*loop\.png: symbolic link loop"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(csv)})


def test_a_symlink_loop_is_skipped_and_listed_under_skip(cpu_cfg, tmp_path):
    csv = _with_loop(tmp_path)
    cfg = cpu_cfg({"data": {"source": "folder", "root": str(csv), "resolution": 16, "on_bad_image": "skip"}})
    console = Console(record=True, width=300)
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="data", console=console)
    run_data_stage(ctx)
    assert "skipped 1 bad image(s)" in console.export_text()
    bad = pd.read_csv(ctx.out / ctx.outputs.BAD_IMAGES)
    assert bad["path"].str.endswith("loop.png").tolist() == [True] and "symbolic link loop" in bad["reason"][0]
    assert json.loads((ctx.out / "summary.json").read_text())["images"] == 20


def test_a_symlink_loop_in_a_tb_folder_is_not_dropped_silently(cpu_cfg, tmp_path):
    root = tmp_path / "ChinaSet"
    write_tb_set(root, "CHNCXR", 20)
    os.symlink(root / "CHNCXR_0099_1.png", root / "CHNCXR_0099_1.png")
    with pytest.raises(DataError, match=r"CHNCXR_0099_1\.png: symbolic link loop"):
        build_manifest_of(cpu_cfg, {"source": "shenzhen", "root": str(root)})


def _eyepacs(tmp_path, extension: str) -> None:
    names = [f"{p + 10}_{eye}" for p in range(10) for eye in ("left", "right")]
    for i, name in enumerate(names):
        write_image(tmp_path / "train" / f"{name}{extension}", seed=i, mode="RGB", fmt="JPEG")
    (tmp_path / "trainLabels.csv").write_text("image,level\n" + "".join(f"{n},{i % 5}\n" for i, n in enumerate(names)))


def test_eyepacs_jpg_files_are_named_with_the_extension_expected(cpu_cfg, tmp_path):
    _eyepacs(tmp_path, ".jpg")
    with pytest.raises(DataError, match=r"eyepacs: 20 image\(s\) listed in .*trainLabels\.csv exist with the "
                                        r"extension \.jpg where \.jpeg is expected \(e\.g\. 10_left\.jpg"):
        build_manifest_of(cpu_cfg, five_classes({"source": "eyepacs", "root": str(tmp_path)}))


def _aptos(tmp_path, extension: str = ".png", diagnoses=None):
    ids = [f"{i:04x}ab{i}" for i in range(10)]
    diagnoses = diagnoses or [str(i % 5) for i in range(10)]
    for i, code in enumerate(ids):
        write_image(tmp_path / "train_images" / f"{code}{extension}", seed=i, mode="RGB", fmt="PNG")
    (tmp_path / "train.csv").write_text("id_code,diagnosis\n" + "".join(f"{c},{d}\n" for c, d in zip(ids, diagnoses)))
    return ids


def test_aptos_jpeg_files_are_named_with_the_extension_expected(cpu_cfg, tmp_path):
    _aptos(tmp_path, ".jpeg")
    with pytest.raises(DataError, match=r"aptos: 10 image\(s\) listed in .*train\.csv exist with the extension \.jpeg "
                                        r"where \.png is expected"):
        build_manifest_of(cpu_cfg, five_classes({"source": "aptos", "root": str(tmp_path)}))


def test_a_missing_aptos_diagnosis_names_the_csv_and_the_image_id(cpu_cfg, tmp_path):
    diagnoses = [str(i % 5) for i in range(10)]
    diagnoses[6] = ""
    ids = _aptos(tmp_path, diagnoses=diagnoses)
    with pytest.raises(DataError, match=rf"aptos: .*train\.csv has no integer diagnosis for 1 id_code\(s\): {ids[6]}") as err:
        build_manifest_of(cpu_cfg, five_classes({"source": "aptos", "root": str(tmp_path)}))
    assert "folder source" not in str(err.value)
