"""A patient's images never straddle two splits unseen: empty patient ids in a folder CSV are
refused (or accepted on request, with a warning and the count), a TB root that holds images
both in itself and in CXR_png/ is refused, and EyePACS ids are read case-insensitively."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from lightning_privgan.data.errors import DataError
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages.data import run_data_stage

from tests.helpers.data_files import build_manifest_of, csv_rows, five_classes, load, write_csv_tree, write_image, write_tb_set


def _csv_with_patients(folder: Path, patients: list[str]) -> Path:
    lines = ["path,label,patient_id"]
    for i, patient in enumerate(patients):
        write_image(folder / f"im{i}.png", seed=i)
        lines.append(f"im{i}.png,{i % 2},{patient}")
    (folder / "list.csv").write_text("\n".join(lines) + "\n")
    return folder / "list.csv"


def _patients_with_blanks() -> list[str]:
    patients = [f"pat{i // 2}" for i in range(24)]
    patients[3], patients[10] = "", "  "  # im3 and im10 have lost their patient id
    return patients


def test_empty_patient_ids_in_a_folder_csv_are_refused_naming_the_rows(cpu_cfg, tmp_path):
    csv = _csv_with_patients(tmp_path, _patients_with_blanks())
    with pytest.raises(DataError, match=r"folder: 2 row\(s\) of .*list\.csv have an empty patient_id \(data row\(s\) "
                                        r"4, 11.*im3\.png, im10\.png.*data\.allow_missing_patient_ids=true"):
        build_manifest_of(cpu_cfg, {"source": "folder", "root": str(csv)})


def test_empty_patient_ids_are_accepted_on_request_with_the_count(cpu_cfg, tmp_path):
    csv = _csv_with_patients(tmp_path, _patients_with_blanks())
    cfg = cpu_cfg({"data": {"source": "folder", "root": str(csv), "resolution": 16, "allow_missing_patient_ids": True}})
    console = Console(record=True, width=300)
    ctx = StageContext(cfg=cfg, run_dir=tmp_path / "run", name="data", console=console)
    run_data_stage(ctx)
    text = console.export_text()
    assert "warning: 2 row(s) of the folder CSV have no patient_id" in text and "im3.png" in text and "im10.png" in text
    assert json.loads((ctx.out / "summary.json").read_text())["missing_patient_ids_count"] == 2
    manifest = pd.read_csv(ctx.out / "manifest.csv", dtype=str)
    manifest = manifest.set_index(manifest["path"].map(lambda p: Path(p).name))
    assert manifest.loc["im3.png", "patient_id"] == "im3.png"  # its own patient
    assert manifest.loc["im2.png", "patient_id"] == "pat1"  # the others keep theirs


def test_a_csv_without_a_patient_column_still_means_one_patient_per_image(cpu_cfg, tmp_path):
    # The documented choice (no column at all) needs no flag: only empty cells in a present column do.
    csv = _csv_with_patients(tmp_path, [f"p{i}" for i in range(20)])
    csv.write_text("\n".join(line.rsplit(",", 1)[0] for line in csv.read_text().splitlines()) + "\n")
    _, manifest = load(cpu_cfg, {"source": "folder", "root": str(csv)})
    assert manifest["patient_id"].nunique() == 20


def test_a_tb_root_with_images_in_itself_and_in_cxr_png_is_refused_naming_both_counts(cpu_cfg, tmp_path):
    root = tmp_path / "ChinaSet"
    write_tb_set(root / "CXR_png", "CHNCXR", 20)
    for i in range(20, 23):  # three more radiographs left at the root
        write_image(root / f"CHNCXR_{i + 1:04d}_{i % 2}.png", seed=i)
    write_image(root / "CHNCXR_0001_0.png", seed=0)  # and one copy of a file in CXR_png/
    with pytest.raises(DataError, match=r"ChinaSet holds 4 CHNCXR_####_L\.png file\(s\) and its CXR_png/ subfolder "
                                        r"20 more \(1 name\(s\) in both\)"):
        build_manifest_of(cpu_cfg, {"source": "shenzhen", "root": str(root)})


def test_eyepacs_patient_ids_ignore_case(cpu_cfg, tmp_path):
    names = []
    for p in range(25):
        for eye in ("left", "RIGHT" if p == 0 else "right"):
            names.append(f"{p + 10}_{eye}")
            write_image(tmp_path / "train" / f"{names[-1]}.jpeg", seed=len(names), mode="RGB", fmt="JPEG")
    names[0] = "10_LEFT"
    (tmp_path / "train" / "10_left.jpeg").rename(tmp_path / "train" / "10_LEFT.jpeg")
    (tmp_path / "trainLabels.csv").write_text("image,level\n" + "".join(f"{n},{i // 2 % 5}\n" for i, n in enumerate(names)))
    _, manifest = load(cpu_cfg, five_classes({"source": "eyepacs", "root": str(tmp_path)}))
    assert manifest["patient_id"].nunique() == 25
    first = manifest[manifest["patient_id"] == "10"]
    assert sorted(Path(p).name for p in first["path"]) == ["10_LEFT.jpeg", "10_RIGHT.jpeg"]
    assert first["split"].nunique() == 1
