"""`privgan export RUN --out DIR`: a synthetic data set a hospital can publish.

`num` images are drawn along the run's saved PLAN (or linear) paths, never at the endpoints
(k-same anchors stand for groups of real patients), stored as 8-bit PNGs and audited as
stored: nearest-real distances under the audit's distances, re-identification by the
independent auditor, FD/KID against the real training images, membership attacks on the
kept images (release/membership_attacks.py). Images that fail the gate
are left out and counted (`allow_failing` keeps them, marked); an image pixel-identical to
a real image is never released.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..data.real_store import to_model_range, to_uint8
from ..stages.outputs import RunFolder, load_walk_artifacts
from ..walk.sampling import sample_latents, synthesize
from .image_audit import GATE_CRITERIA, ImageAudit, audit_images, set_quality
from .limits import known_limits
from .membership_attacks import release_attacks
from .memory import check_export_fits
from .provenance import method_settings, provenance
from .run_inputs import RunInputs, check_finished_run, check_run_current, check_run_folder, load_run_inputs
from .target import check_release_target
from .writer import image_name, write_release

FORMAT = "lightning_privgan.release/1"
# Images made and measured at a time: a multiple of synthesize's batch (64), so the batches are
# those of one call over the whole set and the images are the same.
CHUNK = 1024


@dataclass
class ExportResult:
    folder: Path
    candidates: int
    released: int
    failed: int
    release: dict


def exact_real_copies(images_uint8: torch.Tensor, real_uint8, chunk: int = 1024) -> torch.Tensor:
    """bool [N]: which images are pixel-identical to a real image. `real_uint8` is a uint8
    tensor or the data stage's image store (read `chunk` rows at a time, never whole)."""
    if images_uint8.shape[1:] != tuple(real_uint8.shape[1:]):
        return torch.zeros(len(images_uint8), dtype=torch.bool)
    wanted = {bytes(x.numpy().tobytes()): i for i, x in enumerate(images_uint8)}
    found = torch.zeros(len(images_uint8), dtype=torch.bool)
    for start in range(0, len(real_uint8), chunk):
        rows = range(start, min(start + chunk, len(real_uint8)))
        block = real_uint8[start:rows.stop] if isinstance(real_uint8, torch.Tensor) else real_uint8.read(list(rows))
        for r in block:
            i = wanted.get(bytes(r.numpy().tobytes()))
            if i is not None:
                found[i] = True
    return found


def _run_audit_context(inputs: RunInputs, source: str) -> dict:
    """Figures of the run's audit that the card quotes (without patient ids)."""
    a = inputs.audit
    src = a.get("sources", {}).get(source, {})
    return {
        "source": source,
        "samples": src.get("num_samples"),
        "distances": src.get("distances"),
        "reid_rate": (src.get("reid") or {}).get("rate"),
        "fd": src.get("fd"),
        "fd_features": a.get("fd_features"),
        "near_duplicate_quantile": a.get("near_duplicate_quantile"),
        "reid_holdout_false_alarm_rate": a.get("reid_holdout_false_alarm_rate"),
        "reid_chance": a.get("reid_chance"),
        "membership": a.get("membership"),
        "membership_setup": a.get("membership_setup"),
        "generator_attacks": (a.get("release_attacks") or {}).get("generator"),
        "skipped": a.get("skipped", []),
    }


def _manifest(labels: torch.Tensor, class_names: list[str], source: str, pair_idx: torch.Tensor,
              step_pos: torch.Tensor, audit: ImageAudit, keep: torch.Tensor) -> pd.DataFrame:
    rows = keep.nonzero().flatten()
    head = pd.DataFrame({
        "path": [image_name(i) for i in range(len(rows))],
        "label": labels[rows].long().numpy(),
        "class_name": [class_names[int(y)] for y in labels[rows]],
        "source_method": source,
        "source_path": pair_idx[rows].long().numpy(),
        "source_step": step_pos[rows].double().numpy(),
    })
    return pd.concat([head, audit.columns().iloc[rows.numpy()].reset_index(drop=True)], axis=1)


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("[export] {task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=console)


def _draw_and_measure(G, paths: torch.Tensor, path_labels: torch.Tensor, num: int, seed: int, cfg,
                      inputs: RunInputs, console: Console):
    """(pixels uint8, labels, pair_idx, step_pos, audit) of `num` images drawn along `paths`: the draw
    of walk/sampling.synthetic_samples, made and measured CHUNK images at a time (float images of
    the whole set would not fit; the PNGs' pixels do)."""
    w, pair_idx, step_pos = sample_latents(paths, num, torch.Generator().manual_seed(seed), bool(cfg.stream.interpolate))
    pixels, audits = [], []
    with _progress(console) as bar:
        task = bar.add_task(f"drawing and measuring {num:,} images", total=num)
        for start in range(0, num, CHUNK):
            chunk = to_uint8(synthesize(G, w[start:start + CHUNK], noise_mode=cfg.walk.noise_mode).cpu())
            audits.append(audit_images(to_model_range(chunk), inputs))  # audited exactly as written to PNG
            pixels.append(chunk)
            bar.advance(task, len(chunk))
    return torch.cat(pixels), path_labels.cpu()[pair_idx], pair_idx, step_pos, ImageAudit.concat(audits)


def export_release(run_dir: Path, out: Path, source: str = "plan", num: int = 1000, seed: int = 0,
                   allow_failing: bool = False, overwrite: bool = False, device: str = "cpu",
                   console: Console | None = None) -> ExportResult:
    """`console` shows the progress of each step (none by default)."""
    console = console or Console(quiet=True)

    if source not in ("plan", "linear"):
        raise ValueError(f"export --source must be plan or linear, not {source!r}")
    if num < 1:
        raise ValueError(f"export --num must be at least 1, not {num}")
    run_dir = Path(run_dir)
    check_run_folder(run_dir)
    target = check_release_target(out, run_dir, overwrite)  # before any work: a refusal costs nothing
    check_run_current(run_dir, "export a release of it")  # a run in progress first, before reading its files
    check_finished_run(run_dir)
    run = RunFolder(run_dir)
    art = load_walk_artifacts(run.stage("gan"), run.stage("anchors"), run.stage("walk"), device)
    if source not in art.paths:
        raise ValueError(f"{run_dir}/walk/paths.pt holds no {source!r} paths; add it to walk.methods and re-run the walk stage")
    paths = art.paths[source]
    check_export_fits(num, (art.G.img_channels, art.G.img_resolution, art.G.img_resolution), paths[0, 0].numel())
    console.print(f"[export] reading {run_dir}: the audit's reference features of the real training images")
    inputs = load_run_inputs(run_dir, device)  # the train set featurised: only once the request is known good
    cfg = inputs.cfg
    with torch.no_grad():
        pixels, labels, pair_idx, step_pos, audit = _draw_and_measure(
            art.G, paths.to(device), art.paths["labels"], num, seed, cfg, inputs, console)
    console.print("[export] checking for exact copies of real images")
    copies = exact_real_copies(pixels, inputs.real_uint8)
    passed = audit.passed & ~copies
    keep = (~copies if allow_failing else passed)
    if not keep.any():
        raise ValueError(f"every one of the {num} images drawn failed the privacy gate "
                         f"({_failure_counts(audit, copies)}); nothing to release. Check the run's audit, or "
                         f"--allow-failing to release them marked")
    method = method_settings(cfg, source)
    gate = {"criteria": list(GATE_CRITERIA), "candidates": num, "passed": int(passed.sum()),
            "failed": int((~passed).sum()), "failed_near_duplicate": {k: int(d.sum()) for k, d in audit.near_duplicate.items()},
            "failed_reidentified": int(audit.reidentified.sum()), "identical_to_real_left_out": int(copies.sum()),
            "allow_failing": bool(allow_failing), "failing_included": int((keep & ~passed).sum()),
            # The gate may drop one class far more than another (its images look alike): say so.
            "drawn_class_counts": {name: int((labels.long() == i).sum()) for i, name in enumerate(inputs.class_names)}}
    console.print(f"[export] FD/KID of the {int(keep.sum()):,} images kept")
    released = {**audit.summary(keep), "quality": set_quality(to_model_range(pixels[keep]), inputs)}
    run_audit = _run_audit_context(inputs, source)
    console.print(f"[export] membership attacks on the {int(keep.sum()):,} images kept")
    attacks = release_attacks(to_model_range(pixels[keep]), inputs, seed)
    kept_labels = labels[keep].long()
    release = {
        "format": FORMAT,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "what": {"images": int(keep.sum()), "resolution": int(pixels.shape[-1]), "channels": int(pixels.shape[1]),
                 "color": "grayscale" if pixels.shape[1] == 1 else "RGB", "data_source": cfg.data.source,
                 "experiment": cfg.name, "classes": inputs.class_names,
                 "class_counts": {name: int((kept_labels == i).sum()) for i, name in enumerate(inputs.class_names)}},
        "method": method,
        "provenance": provenance(run_dir, cfg.name, seed),
        "gate": gate,
        "audit": released,
        "candidates_audit": audit.summary(),
        "run_audit": run_audit,
        "membership_attacks": attacks,
    }
    release["limits"] = known_limits(method, gate, released, run_audit, release["what"]["class_counts"])
    manifest = _manifest(labels, inputs.class_names, source, pair_idx, step_pos, audit, keep)
    with _progress(console) as bar:
        task = bar.add_task(f"writing {len(manifest):,} PNGs to {target}", total=len(manifest))
        folder = write_release(target, pixels[keep], manifest, release, on_image=lambda: bar.advance(task))
    return ExportResult(folder, num, int(keep.sum()), gate["failed"], release)


def _failure_counts(audit: ImageAudit, copies: torch.Tensor) -> str:
    parts = [f"{int(d.sum())} near-duplicate ({k})" for k, d in audit.near_duplicate.items()]
    parts.append(f"{int(audit.reidentified.sum())} re-identified")
    if copies.any():
        parts.append(f"{int(copies.sum())} identical to a real image")
    return ", ".join(parts)
