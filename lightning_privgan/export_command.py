"""`privgan export RUN --source plan --num N --out DIR`: a shareable synthetic data set.

Images are sampled along the run's saved PLAN (or linear) paths, never at the endpoints
(k-same anchors stand for groups of real patients), and written with a manifest that
says which pair and which step each image came from.
"""
from __future__ import annotations

from pathlib import Path

import torch


def export_from_run(run_dir: Path, source: str, num: int, out: Path, seed: int = 0, device: str = "cpu") -> Path:
    from .audit.synthetic_sources import load_walk_artifacts
    from .walk.export import export_synthetic_set
    from .walk.sampling import synthetic_samples

    if source not in ("plan", "linear"):
        raise ValueError(f"export --source must be plan or linear, not {source!r}")
    if num < 1:
        raise ValueError(f"export --num must be at least 1, not {num}")
    art = load_walk_artifacts(Path(run_dir), device)
    if source not in art.paths:
        raise ValueError(f"{run_dir}/walk/paths.pt holds no {source!r} paths; add it to walk.methods and re-run the walk stage")
    with torch.no_grad():
        images, labels, pair_idx, step_pos = synthetic_samples(
            art.G, art.paths[source].to(device), art.paths["labels"], num, seed)
    return export_synthetic_set(out, images, labels, pair_idx, step_pos)
