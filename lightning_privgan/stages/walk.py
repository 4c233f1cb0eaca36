"""Stage `walk`: linear and PLAN paths for the SAME anchor pairs, so the two compare fairly.

Pairs are optimised walk.pairs_per_chunk at a time; each finished chunk is saved under
partial/, so an interrupted walk resumes at the first missing chunk. Writes paths.pt
{"linear", "plan": [P, n, ...], "pairs", "labels", "losses": {method: [per-chunk step logs]}}
and strips.png (rows: a few paths per method; columns: the path's points).
"""
from __future__ import annotations

import shutil

import torch
from torchvision.utils import save_image

from ..pipeline.atomic import atomic_path, torch_save_atomic
from ..pipeline.stage import Stage, StageContext
from ..walk.paths import walk, walk_kwargs
from ..walk.sampling import synthesize


def _walk_chunk(ctx: StageContext, nets, method: str, w, pairs, labels, start: int) -> tuple[torch.Tensor, list]:
    """Paths of pairs[start : start + chunk], from partial/ when an earlier attempt finished them."""
    G, id_net, class_net = nets
    chunk = pairs[start:start + ctx.cfg.walk.pairs_per_chunk]
    saved = ctx.out / "partial" / f"{method}_{start:06d}.pt"
    if saved.is_file():
        blob = torch.load(saved, map_location="cpu", weights_only=True)
        if torch.equal(blob["pairs"], chunk):
            return blob["paths"], blob["losses"]
    log: list[dict] = []
    device = next(G.parameters()).device
    paths = walk(G, w[chunk[:, 0]].to(device), w[chunk[:, 1]].to(device), labels[start:start + len(chunk)].to(device),
                 id_net, class_net, method=method, progress=ctx.cfg.trainer.progress_bar,
                 log_fn=lambda step, terms: log.append({"step": step, **terms}), **walk_kwargs(ctx.cfg.walk))
    paths = paths.cpu()
    torch_save_atomic({"pairs": chunk, "paths": paths, "losses": log}, saved)
    return paths, log


def _save_strips(G, result: dict, methods, path, count: int, noise_mode: str) -> None:
    device = next(G.parameters()).device
    rows = [result[m][:count] for m in methods]
    n_steps = rows[0].shape[1]
    latents = torch.cat([r.flatten(0, 1) for r in rows]).to(device)
    with atomic_path(path) as tmp:
        save_image(synthesize(G, latents, noise_mode=noise_mode).cpu(), tmp, nrow=n_steps, normalize=True,
                   value_range=(-1, 1), format="png")


def run(ctx: StageContext) -> None:
    from ..models.classifier_io import load_classifier
    from ..models.generator_io import load_generator
    from .classifier_training import eval_device

    cfg = ctx.cfg
    device = eval_device(ctx)
    G = load_generator(ctx.input("gan") / "generator.pt", device=device)
    id_net = load_classifier(ctx.input("identity") / "model.pt", map_location=device)
    class_net = load_classifier(ctx.input("classifier") / "model.pt", map_location=device)
    anchors = torch.load(ctx.input("anchors") / "anchors.pt", map_location="cpu", weights_only=False)
    selected = torch.load(ctx.input("anchors") / "pairs.pt", map_location="cpu", weights_only=True)
    pairs, labels, w = selected["pairs"], selected["labels"], anchors["w"]
    result: dict = {"pairs": pairs, "labels": labels, "losses": {}}
    for method in cfg.walk.methods:
        parts, logs = [], []
        for start in range(0, len(pairs), cfg.walk.pairs_per_chunk):
            paths, log = _walk_chunk(ctx, (G, id_net, class_net), method, w, pairs, labels, start)
            parts.append(paths)
            logs.append(log)
        result[method] = torch.cat(parts)
        result["losses"][method] = logs
        final = [log[-1]["loss"] for log in logs if log]
        if final:
            ctx.console.print(f"[bold]walk[/] {method}: {len(pairs)} paths, final loss {sum(final) / len(final):.4f} (mean over chunks)")
    torch_save_atomic(result, ctx.out / "paths.pt")
    _save_strips(G, result, list(cfg.walk.methods), ctx.out / "strips.png", cfg.walk.strip_paths, cfg.walk.noise_mode)
    shutil.rmtree(ctx.out / "partial", ignore_errors=True)


STAGE = Stage(
    name="walk",
    run=run,
    needs=("anchors", "gan", "identity", "classifier"),
    config_keys=("walk", "anchors", "gan", "identity", "classifier", "data"),
    description="linear and PLAN latent paths between the anchor pairs (paths.pt, strips.png)",
)
