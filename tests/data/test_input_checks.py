"""Inputs that used to be accepted silently or with a misleading message: deep images,
decompression bombs, tiny and transparent images, paths outside the CSV's folder, class
names as labels, unread files in the TB folders, folders where files are expected."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from lightning_privgan.data.errors import BadImageError, DataError
from lightning_privgan.data.images import decode_files, decode_image
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages.data import run_data_stage

from tests.helpers.data_files import build_manifest_of, csv_rows, write_csv_tree
from tests.helpers.data_files import load, write_image, write_tb_set


def test_16_bit_gradient_is_scaled_by_its_bit_depth_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "xray16.png")
    assert Image.open(tmp_path / "xray16.png").mode == "I;16"
    grey = decode_image(str(tmp_path / "xray16.png"), channels=1, resolution=64, min_side=1)[0].astype(float)
    assert (grey == 255).mean() < 0.01  # convert("L") made 99.6 % of it white
    expected = np.rint(ramp / 257.0)
    assert np.abs(grey - expected).max() <= 1  # 65535 -> 255, linear
    colour = decode_image(str(tmp_path / "xray16.png"), channels=3, resolution=16, min_side=1)
    assert colour.shape == (3, 16, 16) and 100 < colour.mean() < 155


def test_float_images_must_lie_in_the_unit_interval(tmp_path):
    Image.fromarray(np.linspace(0, 1, 32 * 32, dtype=np.float32).reshape(32, 32)).save(tmp_path / "unit.tiff")
    grey = decode_image(str(tmp_path / "unit.tiff"), channels=1, resolution=32, min_side=1)
    assert grey.min() == 0 and grey.max() == 255
    Image.fromarray(np.full((32, 32), 4095.0, dtype=np.float32)).save(tmp_path / "raw.tiff")
    with pytest.raises(BadImageError, match=r"raw\.tiff.*float images must lie in \[0, 1\]"):
        decode_image(str(tmp_path / "raw.tiff"), channels=1, resolution=32, min_side=1)


def test_decompression_bomb_is_a_bad_image_named_or_skipped(tmp_path, monkeypatch):
    write_image(tmp_path / "huge.png", seed=0, size=(64, 64))
    write_image(tmp_path / "fine.png", seed=1, size=(16, 16))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 64x64 = 4096 > 2 x 1000: PIL refuses it
    with pytest.raises(BadImageError, match=r"huge\.png: DecompressionBombError"):
        decode_files([str(tmp_path / "huge.png")], 1, 16, on_bad_image="error", min_side=1)
    skipped = decode_files([str(tmp_path / "huge.png"), str(tmp_path / "fine.png")], 1, 16, on_bad_image="skip", min_side=1)
    assert skipped.kept.tolist() == [False, True] and "DecompressionBombError" in skipped.bad[0][1]


def test_tiny_images_are_refused_below_min_side_and_upscaling_and_alpha_are_counted(cpu_cfg, tmp_path):
    rows = csv_rows()
    csv = write_csv_tree(tmp_path, rows)
    write_image(tmp_path / "im3.png", seed=3, size=(1, 1))
    with pytest.raises(DataError, match=r"im3\.png: image is 1x1 pixels, smaller than data.min_side=16"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(csv)})
    write_image(tmp_path / "im3.png", seed=3, size=(8, 8))
    rgba = np.random.default_rng(0).integers(0, 256, (30, 40, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "im4.png")
    cfg = cpu_cfg({"data": {"source": "folder", "root": str(csv), "resolution": 16, "min_side": 4}})
    console = Console(record=True, width=300)
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="data", console=console)
    run_data_stage(ctx)
    summary = json.loads((ctx.out / "summary.json").read_text())
    assert summary["upscaled_count"] == 1 and summary["alpha_dropped_count"] == 1
    text = console.export_text()
    assert "warning: 1 image(s) smaller than data.resolution were upscaled" in text and "im3.png" in text
    assert "warning: 1 image(s) had an alpha channel, which was dropped" in text and "im4.png" in text


def test_folder_csv_paths_outside_its_folder_are_refused_unless_allowed(cpu_cfg, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rows = csv_rows()
    csv = write_csv_tree(data, rows)
    write_image(tmp_path / "elsewhere" / "x.png", seed=99)
    csv.write_text(csv.read_text() + "../elsewhere/x.png,1\n")
    with pytest.raises(DataError, match=r"1 path\(s\) in .*list\.csv lie outside its folder.*\.\./elsewhere/x\.png"
                                        r".*data\.allow_outside_root=true"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(csv)})
    _, manifest = load(cpu_cfg, {"source": "folder", "root": str(csv), "allow_outside_root": True})
    assert len(manifest) == len(rows) + 1


def test_folder_labels_may_be_class_names(cpu_cfg, tmp_path):
    csv = write_csv_tree(tmp_path, csv_rows())
    names = {"0": "normal", "1": "disease"}
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join([lines[0]] + [f"{p},{names[l] if i % 3 else l}"
                                          for i, (p, l) in enumerate(x.split(",") for x in lines[1:])]) + "\n")
    _, manifest = load(cpu_cfg, {"source": "folder", "root": str(csv)})
    assert manifest.sort_values("path")["label"].tolist() == [int(x.split(",")[1]) for x in sorted(lines[1:])]
    csv.write_text(lines[0] + "\n" + "\n".join(f"{p},{'sick' if i == 2 else l}"
                                               for i, (p, l) in enumerate(x.split(",") for x in lines[1:])) + "\n")
    with pytest.raises(DataError, match=r"labels must be integers or one of data.class_names \(normal, disease\).*im2\.png"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(csv)})


def test_unmatched_files_in_a_tb_folder_are_counted_and_reported(cpu_cfg, tmp_path):
    folder = tmp_path / "ChinaSet"
    write_tb_set(folder, "CHNCXR", 20)
    write_image(folder / "CHNCXR_0099.png", seed=5)  # no label digit: not read
    (folder / "notes.txt").write_text("not an image")
    cfg = cpu_cfg({"data": {"source": "shenzhen", "root": str(folder), "resolution": 16}})
    console = Console(record=True, width=300)
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="data", console=console)
    run_data_stage(ctx)
    assert json.loads((ctx.out / "summary.json").read_text())["unmatched_files_count"] == 2
    assert "warning: 2 file(s) in the data folder do not match" in console.export_text()


def test_a_folder_where_a_file_is_expected_is_named_as_such(cpu_cfg, tmp_path):
    (tmp_path / "list.csv").mkdir()
    with pytest.raises(DataError, match=r"folder: .*list\.csv is a folder, not a file"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(tmp_path / "list.csv")})
    (tmp_path / "root.txt").write_text("")
    with pytest.raises(DataError, match=r"aptos: .*root\.txt is a file, not a folder"):
        build_manifest_of(cpu_cfg, {"source": "aptos", "root": str(tmp_path / "root.txt"), "num_classes": 5,
                         "class_names": list("01234")})
    from lightning_privgan.config.errors import ConfigError
    from lightning_privgan.config.load import load_experiment

    with pytest.raises(ConfigError, match="is a folder, not an experiment YAML file"):
        load_experiment(tmp_path)
