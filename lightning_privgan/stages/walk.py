"""Stage `walk`: linear and PLAN paths for the SAME anchor pairs, so the two compare fairly.

Pairs are optimised walk.pairs_per_chunk at a time. Under DDP every rank walks every
world_size-th chunk on its own device; each finished chunk is saved under partial/, so an
interrupted walk (of any world size) resumes at the missing chunks, and rank 0 gathers them
into paths.pt, identical to what one process writes:
{"linear", "plan": [P, n, ...], "pairs", "labels", "losses": {method: [per-chunk step logs]}}
and strips.png (rows: a few paths per method; columns: the path's points).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import torch
from torchvision.utils import save_image

from ..core.atomic import atomic_path, torch_save_atomic
from ..core.world import World
from ..pipeline.stage import Stage, StageContext
from ..walk.paths import pair_steps_taken, walk
from ..walk.sampling import synthesize
from .outputs import WalkOutputs


def _finished_chunk(path: Path, chunk: torch.Tensor) -> tuple[torch.Tensor, list] | None:
    """(paths, losses) of a chunk an earlier attempt or another rank saved, if it is for these pairs."""
    if not path.is_file():
        return None
    blob = torch.load(path, map_location="cpu", weights_only=True)
    return (blob["paths"], blob["losses"]) if torch.equal(blob["pairs"], chunk) else None


def _walk_chunk(ctx: StageContext, nets, device: torch.device, method: str, w, pairs, labels, start: int) -> None:
    """Walk pairs[start : start + chunk] unless a finished file for them exists; save it atomically."""
    G, id_net, class_net = nets
    chunk = pairs[start:start + ctx.cfg.walk.pairs_per_chunk]
    saved = ctx.outputs.chunk_file(method, start)
    if _finished_chunk(saved, chunk) is not None:
        return
    log: list[dict] = []
    paths = walk(G, w[chunk[:, 0]].to(device), w[chunk[:, 1]].to(device), labels[start:start + len(chunk)].to(device),
                 ctx.cfg.walk, id_net, class_net, method=method, progress=ctx.cfg.trainer.progress_bar,
                 log_fn=lambda step, terms: log.append({"step": step, **terms}))
    torch_save_atomic({"pairs": chunk, "paths": paths.cpu(), "losses": log}, saved)


def _gather(ctx: StageContext, method: str, pairs, starts: list[int]) -> tuple[torch.Tensor, list]:
    """Rank 0: every chunk of `method`, waiting for those the other ranks are still walking."""
    parts, logs = [], []
    for start in starts:
        chunk = pairs[start:start + ctx.cfg.walk.pairs_per_chunk]
        path = ctx.outputs.chunk_file(method, start)
        paths, log = ctx.barrier(lambda: _finished_chunk(path, chunk), f"walk chunk {path.name} from another rank")
        parts.append(paths)
        logs.append(log)
    return torch.cat(parts), logs


def _save_strips(G, result: dict, methods, path, count: int, noise_mode: str) -> None:
    device = next(G.parameters()).device
    rows = [result[m][:count] for m in methods]
    n_steps = rows[0].shape[1]
    latents = torch.cat([r.flatten(0, 1) for r in rows]).to(device)
    with atomic_path(path) as tmp:
        save_image(synthesize(G, latents, noise_mode=noise_mode).cpu(), tmp, nrow=n_steps, normalize=True,
                   value_range=(-1, 1), format="png")


def run(ctx: StageContext) -> None:
    cfg, out = ctx.cfg, ctx.outputs
    world: World = ctx.join_world()
    G = ctx.input("gan").generator(world.device)
    id_net = ctx.input("identity").model(world.device)
    class_net = ctx.input("class_guide").model(world.device)
    anchor_outputs = ctx.input("anchors")
    selected = anchor_outputs.pairs()
    pairs, labels, w = selected["pairs"], selected["labels"], anchor_outputs.anchors()["w"]
    starts = list(range(0, len(pairs), cfg.walk.pairs_per_chunk))
    for method in cfg.walk.methods:
        # Round robin per method: linear chunks cost nothing, so PLAN's must be spread on their own.
        for start in starts[world.rank::world.size]:
            _walk_chunk(ctx, (G, id_net, class_net), world.device, method, w, pairs, labels, start)
    if not world.is_zero:
        return  # rank 0 gathers and writes; the runner keeps this rank waiting for the stage record
    result: dict = {"pairs": pairs, "labels": labels, "losses": {}}
    for method in cfg.walk.methods:
        result[method], result["losses"][method] = _gather(ctx, method, pairs, starts)
        logs = [log for log in result["losses"][method] if log]
        if logs:
            final = [log[-1]["loss"] for log in logs]
            # The steps the pairs took (each pair stops once converged: walk.early_stop_patience).
            taken = pair_steps_taken(logs)
            ctx.console.print(f"[bold]walk[/] {method}: {len(pairs)} paths, final loss {sum(final) / len(final):.4f} "
                              f"(mean over chunks), {taken} of {len(pairs) * cfg.walk.optim_steps} pair-steps taken, "
                              f"the last pair stopped at step {max(len(log) for log in logs)}")
    torch_save_atomic(result, out.path(out.PATHS))
    _save_strips(G, result, list(cfg.walk.methods), out.path(out.STRIPS), cfg.walk.strip_paths, cfg.walk.noise_mode)
    shutil.rmtree(out.path(out.PARTIAL), ignore_errors=True)


STAGE = Stage(
    name="walk",
    run=run,
    needs=("anchors", "gan", "identity", "class_guide"),
    # G, φ_id and φ_class come in through their stages' tokens; the walk reads no gan setting.
    config_keys=("walk", "anchors", "identity", "classifier", "data"),
    description="linear and PLAN latent paths between the anchor pairs (paths.pt, strips.png)",
    distributed=True,
    outputs=WalkOutputs,
)
