"""`privgan verify RELEASE [--against RUN]`: is a release intact, and does its card still hold?

Without the run: every file against checksums.sha256, and the manifest against the images
and release.json. With the run: the released PNGs are measured again (nearest-real
distances under the audit's distances, the auditor's confidence, FD/KID, the membership
attacks with their controls) and compared with
the manifest and the card, and the run's config and thresholds with those the card quotes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from ..core.hashing import file_sha256
from ..data.real_store import to_model_range
from ..stages.outputs import AuditOutputs, RunFolder
from .checksums import check_checksums, inside_folder, release_files
from .export import exact_real_copies
from .image_audit import audit_images, set_quality
from .membership_attacks import SOURCE, release_attacks
from .run_inputs import check_finished_run, check_run_current, check_run_folder, load_run_inputs
from .writer import CARD, IMAGES, MANIFEST, RELEASE_JSON

# Recomputed figures agree to float round-off on one machine; other BLAS builds differ a little more.
TOLERANCE = 1e-4


@dataclass
class VerifyReport:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, bool(ok), detail))
        return bool(ok)

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.checks)


def _read_release(folder: Path) -> tuple[dict, pd.DataFrame]:
    for name in (RELEASE_JSON, MANIFEST, CARD):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name} is missing: {folder} is not a release written by privgan export")
    return json.loads((folder / RELEASE_JSON).read_text()), pd.read_csv(folder / MANIFEST)


def _check_manifest(folder: Path, release: dict, manifest: pd.DataFrame, report: VerifyReport) -> bool:
    bad = [p for p in manifest["path"] if not inside_folder(str(p)) or not (folder / str(p)).is_file()]
    on_disk = {p for p in release_files(folder) if p.startswith(f"{IMAGES}/")}
    unlisted = sorted(on_disk - set(manifest["path"].astype(str)))
    ok = report.add("manifest lists every image and only images present", not bad and not unlisted,
                    f"missing {bad[:5]}" if bad else f"not in manifest: {unlisted[:5]}" if unlisted else f"{len(manifest)} images")
    classes = release["what"]["classes"]
    names_ok = all(0 <= int(y) < len(classes) and classes[int(y)] == n for y, n in zip(manifest["label"], manifest["class_name"]))
    ok &= report.add("labels and class names agree with release.json", names_ok)
    ok &= report.add("image count agrees with release.json", len(manifest) == release["what"]["images"],
                     f"manifest {len(manifest)}, release.json {release['what']['images']}")
    stated = {name: int(n) for name, n in release["what"].get("class_counts", {}).items()}
    counted = {name: int((manifest["class_name"] == name).sum()) for name in classes}
    ok &= report.add("class counts agree with release.json", counted == stated,
                     f"manifest {counted}, release.json {stated}")
    if not release["gate"]["allow_failing"]:
        ok &= report.add("every image passed the gate", (manifest["gate"] == "pass").all())
    return ok


def load_release_images(folder: Path, manifest: pd.DataFrame) -> torch.Tensor:
    """uint8 [N, C, H, W] of the manifest's images, in manifest order."""
    arrays = [np.asarray(Image.open(folder / p)) for p in manifest["path"]]
    stacked = torch.from_numpy(np.stack(arrays))
    return stacked.unsqueeze(1) if stacked.dim() == 3 else stacked.permute(0, 3, 1, 2).contiguous()


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= TOLERANCE * max(1.0, abs(float(b)))


def _check_against_run(folder: Path, release: dict, manifest: pd.DataFrame, run_dir: Path, report: VerifyReport) -> None:
    # The cheap checks first: they need only the run's config and audit.json.
    check_run_folder(run_dir)
    check_run_current(run_dir, "verify the release against it")  # a stale audit would certify nothing
    check_finished_run(run_dir)
    prov = release["provenance"]
    run_config = file_sha256(run_dir / "config.yaml")
    report.add("run config is the one the release was made from", run_config == prov["config_sha256"],
               f"card {prov['config_sha256'][:16]}…, run {run_config[:16]}…")
    card_thresholds = {k: d["threshold"] for k, d in release["audit"]["distances"].items()}
    run_thresholds = RunFolder(run_dir).stage("privacy_audit").read_json(AuditOutputs.AUDIT)["thresholds"]
    report.add("the run's audit thresholds are the card's", card_thresholds.keys() == run_thresholds.keys()
               and all(_close(v, run_thresholds[k]) for k, v in card_thresholds.items()),
               f"card {card_thresholds}, run {run_thresholds}")
    if card_thresholds.keys() != run_thresholds.keys():
        return
    inputs = load_run_inputs(run_dir)
    pixels = load_release_images(folder, manifest)
    report.add("no image is identical to a real image", not exact_real_copies(pixels, inputs.real_uint8).any())
    images = to_model_range(pixels)
    audit = audit_images(images, inputs)
    for kind, d in audit.distances.items():
        stated = torch.tensor(manifest[f"{kind}_distance"].to_numpy(dtype=np.float64))
        worst = float((d.double() - stated).abs().max())
        report.add(f"nearest-real distances ({kind}) recomputed = manifest", worst <= TOLERANCE, f"largest difference {worst:.2e}")
    stated_conf = torch.tensor(manifest["reid_confidence"].to_numpy(dtype=np.float64))
    worst = float((audit.reid_confidence.double() - stated_conf).abs().max())
    report.add("auditor confidences recomputed = manifest", worst <= TOLERANCE, f"largest difference {worst:.2e}")
    verdicts = np.where(audit.passed.numpy(), "pass", "fail")
    changed = int((verdicts != manifest["gate"].to_numpy()).sum())
    report.add("gate verdicts recomputed = manifest", changed == 0, f"{changed} verdicts differ" if changed else "")
    summary, card = audit.summary(), release["audit"]
    for kind, d in summary["distances"].items():
        c = card["distances"][kind]
        report.add(f"card's {kind} figures hold", d["near_duplicate_count"] == c["near_duplicate_count"]
                   and _close(d["mean_min"], c["mean_min"]) and _close(d["min"], c["min"]),
                   f"near-duplicates {d['near_duplicate_count']} (card {c['near_duplicate_count']}), "
                   f"mean {d['mean_min']:.4f} (card {c['mean_min']:.4f})")
    report.add("card's re-identification figure holds", summary["reid"]["count"] == card["reid"]["count"],
               f"{summary['reid']['count']} re-identified (card {card['reid']['count']})")
    quality = set_quality(images, inputs)
    report.add("card's FD/KID hold", quality["features"] == card["quality"]["features"]
               and _close(quality["fd"], card["quality"]["fd"]) and _close(quality["kid"], card["quality"]["kid"]),
               f"FD {quality['fd']} (card {card['quality']['fd']}), KID {quality['kid']} (card {card['quality']['kid']})")
    _check_attacks(images, inputs, release, report)


def _check_attacks(images: torch.Tensor, inputs, release: dict, report: VerifyReport) -> None:
    """The membership attacks on the released images, re-measured with the export's seed."""
    stated = release.get("membership_attacks")
    if not stated or "skipped" in stated:
        return
    measured = release_attacks(images, inputs, release["provenance"]["sample_seed"])
    if "skipped" in measured:
        report.add("card's membership attacks hold", False, measured["skipped"])
        return
    for kind, card_f in stated["sources"][SOURCE]["closest_record"].items():
        f = measured["sources"][SOURCE]["closest_record"].get(kind)
        share, card_share = (measured["sources"][SOURCE]["distance_ratio"].get(kind),
                             stated["sources"][SOURCE]["distance_ratio"][kind])
        null, card_null = measured["null_controls"].get(kind, {}), stated["null_controls"][kind]
        ok = f is not None and all(_close(f[m][b], card_f[m][b]) for m in ("auc", "balanced_accuracy")
                                   for b in ("value", "low", "high"))
        ok &= share is not None and _close(share["value"], card_share["value"])
        ok &= null.get("usable") == card_null["usable"]
        report.add(f"card's membership attacks ({kind}) hold", ok,
                   f"AUC {f['auc']['value']:.4f} (card {card_f['auc']['value']:.4f})" if f else "distance not measured")


def verify_release(folder: Path, against: Path | None = None) -> VerifyReport:
    folder, report = Path(folder), VerifyReport()
    if not folder.is_dir():
        raise FileNotFoundError(f"release folder {folder} does not exist")
    sums = check_checksums(folder)
    detail = "; ".join(f"{what}: {', '.join(files[:5])}" for what, files in
                       (("modified", sums.modified), ("missing", sums.missing), ("not listed", sums.unlisted)) if files)
    report.add("checksums", sums.ok, detail or f"{sums.checked} files")
    release, manifest = _read_release(folder)
    manifest_ok = _check_manifest(folder, release, manifest, report)
    if against is not None and manifest_ok:
        _check_against_run(folder, release, manifest, Path(against), report)
    return report
