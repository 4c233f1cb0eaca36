"""Linear and PLAN paths over the same pairs, measured step by step against the real images."""
from __future__ import annotations

import pandas as pd

from ..walk.synthetic_sources import WalkArtifacts
from .paired_difference import compare_paths
from .path_curve import PathCurve, path_step_distances, render_path_points, summarize_path_distances
from .source_audit import RealReference


def compare_path_curves(art: WalkArtifacts, ref: RealReference, kind_name: str, path_pairs: int, noise_mode: str,
                        batch_size: int, seed: int) -> tuple[dict[str, PathCurve], pd.DataFrame, dict]:
    """({method: PathCurve}, per-step distance table, PLAN − linear comparison) for the first
    `path_pairs` pairs, distances of kind `kind_name` to the nearest real training image."""
    kind, curves, table, step_distances = ref.kinds[kind_name], {}, [], {}
    for method in ("linear", "plan"):
        if method not in art.paths:
            continue
        paths = art.paths[method][:path_pairs]
        images = render_path_points(art.G, paths, noise_mode=noise_mode, batch_size=batch_size)
        d = path_step_distances(images, len(paths), kind, ref.features[kind_name], ref.device)
        curves[method] = summarize_path_distances(d)
        step_distances[method] = d
        for p in range(d.shape[0]):
            table += [{"method": method, "pair": p, "step": s, "distance": float(d[p, s])} for s in range(d.shape[1])]
    paired = compare_paths(step_distances.get("linear"), step_distances.get("plan"), ref.thresholds[kind_name], seed)
    return curves, pd.DataFrame(table), paired
