"""Each real-data loader on a tiny tree written in the data set's published layout."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lightning_privgan.data.manifest import build_manifest
from lightning_privgan.data.sources import load_source
from tests.helpers.data_files import five_classes, load, write_image, write_tb_set

from tests.helpers.data_files import RES


def test_shenzhen_files_in_root(cpu_cfg, tmp_path):
    write_tb_set(tmp_path / "ChinaSet", "CHNCXR", 20)
    (tmp_path / "ChinaSet" / "notes.txt").write_text("not an image")
    source, manifest = load(cpu_cfg, {"source": "shenzhen", "root": str(tmp_path / "ChinaSet")})
    assert tuple(source.images.shape) == (20, 1, RES, RES)
    row = manifest[manifest["path"].str.endswith("CHNCXR_0002_1.png")].iloc[0]
    assert row["label"] == 1 and row["patient_id"] == "CHNCXR_0002"
    assert manifest["patient_id"].nunique() == 20


def test_montgomery_files_in_cxr_png_and_masks_ignored(cpu_cfg, tmp_path):
    root = tmp_path / "MontgomerySet"
    write_tb_set(root / "CXR_png", "MCUCXR", 20)
    write_tb_set(root / "ManualMask" / "leftMask", "MCUCXR", 20)  # same names: must not be read
    source, manifest = load(cpu_cfg, {"source": "montgomery", "root": str(root)})
    assert len(manifest) == 20
    assert all("/CXR_png/" in p for p in manifest["path"])


def test_tb_combines_both_sets(cpu_cfg, tmp_path):
    write_tb_set(tmp_path / "sz" / "CXR_png", "CHNCXR", 12)
    write_tb_set(tmp_path / "mc", "MCUCXR", 10)
    _, manifest = load(cpu_cfg, {"source": "tb", "roots": [str(tmp_path / "sz"), str(tmp_path / "mc")]})
    assert len(manifest) == 22
    assert manifest["patient_id"].str.startswith("MCUCXR").sum() == 10


def test_aptos_layout(cpu_cfg, tmp_path):
    ids = [f"{i:04x}ab{i}" for i in range(25)]
    for i, code in enumerate(ids):
        write_image(tmp_path / "train_images" / f"{code}.png", seed=i, mode="RGB", size=(50, 40))
    (tmp_path / "train.csv").write_text("id_code,diagnosis\n" + "".join(f"{c},{i % 5}\n" for i, c in enumerate(ids)))
    source, manifest = load(cpu_cfg, five_classes({"source": "aptos", "root": str(tmp_path)}))
    assert tuple(source.images.shape) == (25, 3, RES, RES)
    assert sorted(manifest["label"].unique()) == [0, 1, 2, 3, 4]
    assert set(manifest["patient_id"]) == set(ids)


@pytest.mark.parametrize("subfolder", ["train", ""])
def test_eyepacs_layout_pairs_eyes_into_one_patient(cpu_cfg, tmp_path, subfolder):
    names, levels = [], []
    for p in range(25):
        for eye in ("left", "right"):
            names.append(f"{p + 10}_{eye}")
            levels.append(p % 5)
            write_image(tmp_path / subfolder / f"{p + 10}_{eye}.jpeg", seed=len(names), mode="RGB", fmt="JPEG")
    (tmp_path / "trainLabels.csv").write_text("image,level\n" + "".join(f"{n},{l}\n" for n, l in zip(names, levels)))
    _, manifest = load(cpu_cfg, five_classes({"source": "eyepacs", "root": str(tmp_path)}))
    assert manifest["patient_id"].nunique() == 25
    assert set(manifest.loc[manifest["patient_id"] == "10", "path"].map(lambda p: Path(p).name)) == {
        "10_left.jpeg",
        "10_right.jpeg",
    }
    assert (manifest.groupby("patient_id")["split"].nunique() == 1).all()


def test_folder_csv_relative_paths_patients_and_official_split(cpu_cfg, tmp_path):
    lines = ["path,label,patient_id,split"]
    for i in range(24):
        write_image(tmp_path / "imgs" / f"im{i}.png", seed=i)
        split = "test" if i < 4 else ""
        lines.append(f"imgs/im{i}.png,{i % 2},pat{i // 2},{split}")
    (tmp_path / "list.csv").write_text("\n".join(lines) + "\n")
    _, manifest = load(cpu_cfg, {"source": "folder", "root": str(tmp_path / "list.csv")})
    assert manifest["patient_id"].nunique() == 12
    assert set(manifest.loc[manifest["patient_id"].isin(["pat0", "pat1"]), "split"]) == {"test"}
    assert not (manifest.loc[~manifest["patient_id"].isin(["pat0", "pat1"]), "split"] == "test").any()
    assert Path(manifest["path"].iloc[0]).is_file()


def test_folder_csv_without_patient_column_is_one_patient_per_image(cpu_cfg, tmp_path):
    lines = ["path,label"]
    for i in range(20):
        write_image(tmp_path / f"im{i}.png", seed=i)
        lines.append(f"{tmp_path / f'im{i}.png'},{i % 2}")
    (tmp_path / "list.csv").write_text("\n".join(lines) + "\n")
    _, manifest = load(cpu_cfg, {"source": "folder", "root": str(tmp_path / "list.csv")})
    assert manifest["patient_id"].nunique() == 20
