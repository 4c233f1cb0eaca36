"""`privgan export` writes a release that a recipient can check file by file; `privgan verify` re-checks it."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
import torch

from lightning_privgan.data.real_store import RealData
from PIL import Image

from lightning_privgan.pipeline.run_state import RunNotCurrentError
from lightning_privgan.release.export import exact_real_copies, export_release
from lightning_privgan.release.verify import verify_release
from tests.helpers.release_run import RES, build_release_run, record_stages

CARD_FILES = {"RELEASE.md", "release.json", "manifest.csv", "checksums.sha256"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    torch.set_num_threads(1)
    return build_release_run(tmp_path_factory.mktemp("runs"))


def _failed(report) -> list[str]:
    return [name for name, ok, _ in report.checks if not ok]


def test_a_release_holds_exactly_its_images_card_and_checksums(run_dir, tmp_path):
    result = export_release(run_dir, tmp_path / "release", "plan", num=24, seed=3)
    folder = result.folder
    manifest = pd.read_csv(folder / "manifest.csv")
    release = json.loads((folder / "release.json").read_text())
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    # Nothing but the card files and the manifest's PNGs: no real image, latent or network.
    assert files == CARD_FILES | set(manifest["path"])
    assert all(p.startswith("images/") and p.endswith(".png") for p in manifest["path"])
    listed = dict(reversed(line.split("  ", 1)) for line in (folder / "checksums.sha256").read_text().splitlines())
    assert set(listed) == files - {"checksums.sha256"}
    for rel, digest in listed.items():
        assert hashlib.sha256((folder / rel).read_bytes()).hexdigest() == digest, rel

    paths = torch.load(run_dir / "walk" / "paths.pt", weights_only=False)
    pixels = np.stack([np.asarray(Image.open(folder / p)) for p in manifest["path"]])
    assert pixels.shape == (len(manifest), RES, RES) and pixels.dtype == np.uint8
    assert len(manifest) == release["what"]["images"] == result.released == sum(release["what"]["class_counts"].values())
    assert (manifest["label"].to_numpy() == paths["labels"][manifest["source_path"].to_numpy()].numpy()).all()
    assert (manifest["class_name"] == manifest["label"].map({0: "normal", 1: "disease"})).all()
    assert ((manifest["source_step"] > 0) & (manifest["source_step"] < paths["plan"].shape[1] - 1)).all()
    assert (manifest["source_method"] == "plan").all() and (manifest["gate"] == "pass").all()
    real = RealData.load(run_dir / "data").images  # the image store, read in chunks by the guard
    assert not exact_real_copies(torch.from_numpy(pixels)[:, None], real).any()
    assert exact_real_copies(real.read([0, 1]), real, chunk=1).all()  # a real image is caught

    # The card states the figures of release.json, measured on exactly these images.
    card = (folder / "RELEASE.md").read_text()
    audit = release["audit"]
    assert audit["count"] == len(manifest)
    for kind, d in audit["distances"].items():
        assert d["mean_min"] == pytest.approx(manifest[f"{kind}_distance"].mean())
        assert d["min"] == pytest.approx(manifest[f"{kind}_distance"].min())
        assert f"{d['threshold']:.4f}" in card and f"{d['mean_min']:.3f}" in card
    run_thresholds = json.loads((run_dir / "privacy_audit" / "audit.json").read_text())["thresholds"]
    assert {k: d["threshold"] for k, d in audit["distances"].items()} == run_thresholds
    assert audit["quality"]["fd"] is not None and audit["quality"]["kid"] is not None
    run_cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert release["method"]["walk"]["lambda_priv"] == run_cfg["walk"]["lambda_priv"] == 1.0
    assert release["method"]["anchors"]["k"] == 3
    assert len(release["provenance"]["config_sha256"]) == 64 and release["provenance"]["code_version"]
    assert "membership" in release["run_audit"] and release["limits"]
    for section in ("What it is", "How it was made", "Privacy gate", "Audit of exactly these", "Membership", "Known limits"):
        assert section in card
    # The membership attacks ran on exactly the released images, every audit distance with its controls.
    attacks = release["membership_attacks"]
    assert set(attacks["sources"]["release"]["closest_record"]) == set(audit["distances"])
    assert attacks["sources"]["release"]["num_images"] == len(manifest)
    assert set(attacks["null_controls"]) == set(audit["distances"])
    assert f"Membership attacks on exactly these {len(manifest)} images" in card and "null control AUC" in card
    assert "roc" not in attacks["sources"]["release"]["closest_record"]["l2"]  # figures, not curves, on the card
    # The run's generator attacks are quoted for a release of G too, from the run's audit.
    generator = json.loads((run_dir / "privacy_audit" / "audit.json").read_text())["release_attacks"]["generator"]
    assert release["run_audit"]["generator_attacks"] == generator
    reconstruction = generator["reconstruction"]["auc"]
    assert "If the generator is released too" in card
    assert (f"| reconstruction through G (GAN-Leaks PBB/WB) | {reconstruction['value']:.3f} "
            f"[{reconstruction['low']:.3f}, {reconstruction['high']:.3f}] |") in card
    assert "discriminator score of D (LOGAN)" in card
    # No patient identifier of the training set leaves the run.
    identities = json.loads((run_dir / "auditor" / "identities.json").read_text())["identities"]
    text = card + (folder / "release.json").read_text() + (folder / "manifest.csv").read_text()
    assert not [i for i in identities if i in text]


def test_images_failing_the_gate_are_left_out_or_kept_marked(run_dir, tmp_path):
    run = tmp_path / "runs" / "strict"
    shutil.copytree(run_dir, run)
    first = export_release(run, tmp_path / "probe", "plan", num=30, seed=1)
    l2 = pd.read_csv(first.folder / "manifest.csv")["l2_distance"]
    audit_json = run / "privacy_audit" / "audit.json"
    audit = json.loads(audit_json.read_text())
    audit["thresholds"]["l2"] = float(l2.median())  # a stricter audit: about half the images are now too close
    audit_json.write_text(json.dumps(audit))
    record_stages(run)  # as if the audit had written these thresholds: the edited file is its result
    expected_fail = int((l2 < l2.median()).sum())
    assert 0 < expected_fail < 30

    gated = export_release(run, tmp_path / "gated", "plan", num=30, seed=1)
    manifest = pd.read_csv(gated.folder / "manifest.csv")
    release = json.loads((gated.folder / "release.json").read_text())
    assert gated.released == len(manifest) == 30 - expected_fail
    assert release["gate"]["failed"] == expected_fail and release["gate"]["failed_near_duplicate"]["l2"] == expected_fail
    assert (manifest["l2_distance"] >= audit["thresholds"]["l2"]).all() and (manifest["gate"] == "pass").all()
    assert release["audit"]["distances"]["l2"]["near_duplicate_count"] == 0
    assert release["candidates_audit"]["distances"]["l2"]["near_duplicate_count"] == expected_fail
    assert f"{expected_fail} failed" in (gated.folder / "RELEASE.md").read_text()

    kept = export_release(run, tmp_path / "kept", "plan", num=30, seed=1, allow_failing=True)
    manifest = pd.read_csv(kept.folder / "manifest.csv")
    assert len(manifest) == 30 and (manifest["gate"] == "fail").sum() == expected_fail
    assert manifest.loc[manifest["gate"] == "fail", "gate_reasons"].str.contains("near-duplicate \\(l2\\)").all()
    assert "are **included**" in (kept.folder / "RELEASE.md").read_text()
    for folder in (gated.folder, kept.folder):
        report = verify_release(folder, against=run)
        assert report.ok, _failed(report)


def test_verify_catches_a_tampered_image_even_with_fresh_checksums(run_dir, tmp_path):
    from lightning_privgan.release.checksums import write_checksums

    folder = export_release(run_dir, tmp_path / "release", "plan", num=12, seed=2).folder
    checks = verify_release(folder, against=run_dir)
    assert checks.ok and "card's membership attacks (l2) hold" in [name for name, _, _ in checks.checks]
    victim = pd.read_csv(folder / "manifest.csv")["path"][0]
    pixels = np.asarray(Image.open(folder / victim)).copy()
    pixels[: RES // 2] = 255 - pixels[: RES // 2]
    Image.fromarray(pixels).save(folder / victim)
    report = verify_release(folder)
    assert _failed(report) == ["checksums"] and victim in report.checks[0][2]
    # Someone who also rewrote checksums.sha256 is caught by re-measuring against the run.
    write_checksums(folder)
    assert verify_release(folder).ok
    report = verify_release(folder, against=run_dir)
    assert not report.ok and any(name.startswith("nearest-real distances") for name in _failed(report))

    (folder / "images" / "extra.png").write_bytes((folder / victim).read_bytes())
    (folder / "RELEASE.md").unlink()
    with pytest.raises(FileNotFoundError, match="RELEASE.md"):
        verify_release(folder)
    write_checksums(folder)
    (folder / "RELEASE.md").write_text("edited")
    assert "manifest lists every image and only images present" in _failed(verify_release(folder))


def test_verify_says_when_the_run_changed_since_export(run_dir, tmp_path):
    run = tmp_path / "runs" / "changed"
    shutil.copytree(run_dir, run)
    folder = export_release(run, tmp_path / "release", "plan", num=8).folder
    with open(run / "config.yaml", "a") as f:
        f.write("# edited after the export\n")
    audit = json.loads((run / "privacy_audit" / "audit.json").read_text())
    audit["thresholds"]["ssim"] *= 2
    (run / "privacy_audit" / "audit.json").write_text(json.dumps(audit))
    with pytest.raises(RunNotCurrentError, match="audit.json changed"):  # an edited result is refused...
        verify_release(folder, against=run)
    record_stages(run)  # ...a re-run that wrote these results is checked against the card
    failed = _failed(verify_release(folder, against=run))
    assert "run config is the one the release was made from" in failed
    assert "the run's audit thresholds are the card's" in failed


def test_exact_copies_of_real_images_are_found():
    real = torch.randint(0, 256, (5, 1, 4, 4), dtype=torch.uint8)
    fake = torch.cat([real[[3]], real[[0]] ^ 1, real[[1]]])
    assert exact_real_copies(fake, real).tolist() == [True, False, True]


def test_the_linear_source_and_bad_arguments(run_dir, tmp_path):
    result = export_release(run_dir, tmp_path / "lin", "linear", num=6)
    assert (pd.read_csv(result.folder / "manifest.csv")["source_method"] == "linear").all()
    assert "no privacy optimisation" in (result.folder / "RELEASE.md").read_text()
    with pytest.raises(ValueError, match="plan or linear"):
        export_release(run_dir, tmp_path / "x", "real", num=6)
    with pytest.raises(ValueError, match="at least 1"):
        export_release(run_dir, tmp_path / "x", "plan", num=0)
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        export_release(tmp_path, tmp_path / "y", "plan", num=3)


def test_overwrite_replaces_a_previous_release_whole(run_dir, tmp_path):
    out = tmp_path / "release"
    export_release(run_dir, out, "plan", num=10, seed=0)
    with pytest.raises(ValueError, match="not empty"):
        export_release(run_dir, out, "plan", num=5, seed=0)
    assert len(pd.read_csv(out / "manifest.csv")) == 10
    export_release(run_dir, out, "plan", num=5, seed=4, overwrite=True)
    assert len(pd.read_csv(out / "manifest.csv")) == len(list((out / "images").iterdir())) == 5
    assert verify_release(out).ok and [p.name for p in tmp_path.iterdir()] == ["release"]  # no temporary left


def test_the_card_warns_when_the_gate_changes_the_class_balance():
    from lightning_privgan.release.limits import known_limits

    method = {"anchors": {"method": "ksame", "k": 3}, "source": "plan", "gan": {"kimg": 10}}
    audit = {"quality": {"fd": None}, "count": 50}
    gate = {"drawn_class_counts": {"normal": 50, "disease": 50}, "allow_failing": False, "failed": 50}
    shifted = known_limits(method, gate, audit, {}, {"normal": 5, "disease": 45})
    kept = known_limits(method, gate, audit, {}, {"normal": 24, "disease": 26})
    assert any("normal 50, disease 50; released: normal 5, disease 45" in line for line in shifted)
    assert not any("class balance" in line for line in kept)
