"""Latent paths between anchor pairs: the straight line, and PLAN (Pennisi et al., MICCAI 2023).

All pairs are optimised together as one tensor with one Adam. The total loss is a sum over
pairs and Adam is element-wise, so each pair follows exactly the trajectory it would follow
alone, which is the paper's get_privacy_path (tests/walk/test_exactness.py checks both to
float64 round-off); batching, chunking and channels_last only buy speed.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator

import torch
from rich.progress import Progress
from torch import nn

from ..config.sections.walk import WalkConfig
from ..core.device_settings import channels_last_weights
from ..models.components.channel_adapter import expected_channels, match_channels
from ..models.latent_generator import LatentGenerator
from .batchnorm_folding import with_batchnorm_folded
from .heap_reuse import reused_heap
from .losses import REFERENCE_CHUNK
from .objective import PlanObjective

LogFn = Callable[[int, dict], None]


def linear_paths(w_a: torch.Tensor, w_b: torch.Tensor, n_steps: int) -> torch.Tensor:
    """[P, n_steps, ...] evenly spaced: a + t·(b − a), the paper's start; the endpoint rows are a and b exactly."""
    t = torch.linspace(0, 1, n_steps, dtype=w_a.dtype, device=w_a.device)
    t = t.view(1, n_steps, *([1] * (w_a.dim() - 1)))
    path = w_a.unsqueeze(1) + t * (w_b - w_a).unsqueeze(1)
    path[:, 0], path[:, -1] = w_a, w_b  # a + 1·(b − a) may differ from b in the last bit
    return path


@contextlib.contextmanager
def _frozen(*modules: nn.Module) -> Iterator[None]:
    """Eval mode and no parameter gradients while walking; the caller's settings restored after."""
    saved = [(m, m.training, [p.requires_grad for p in m.parameters()]) for m in modules]
    for m in modules:
        m.eval().requires_grad_(False)
    try:
        yield
    finally:
        for m, training, flags in saved:
            m.train(training)
            for p, flag in zip(m.parameters(), flags):
                p.requires_grad_(flag)


def _check_inputs(G: LatentGenerator, w_a: torch.Tensor, w_b: torch.Tensor, labels: torch.Tensor, space: str) -> None:
    if w_a.shape != w_b.shape:
        raise ValueError(f"w_a {tuple(w_a.shape)} and w_b {tuple(w_b.shape)} differ in shape")
    want = (G.w_dim,) if space == "w" else (G.num_ws, G.w_dim)
    if tuple(w_a.shape[1:]) != want:
        raise ValueError(f"space={space!r} needs latents [P, {', '.join(map(str, want))}], got {tuple(w_a.shape)}")
    if labels.shape != (w_a.shape[0],):
        raise ValueError(f"labels must be [P={w_a.shape[0]}], got {tuple(labels.shape)}")


def walk(G: LatentGenerator, w_a: torch.Tensor, w_b: torch.Tensor, labels: torch.Tensor, cfg: WalkConfig,
         id_net: nn.Module | None = None, class_net: nn.Module | None = None, *, method: str = "plan",
         loss_chunk: int = REFERENCE_CHUNK, workers: int | None = None, heap_reuse: bool = True,
         fold_batchnorm: bool = True, progress: bool = True, log_fn: LogFn | None = None) -> torch.Tensor:
    """Paths [P, n_steps, w_dim] (W) or [P, n_steps, num_ws, w_dim] (W+) from w_a to w_b.

    cfg: the `walk` config section (a WalkConfig, or the loaded config's `walk` node), the one
    place the walk's settings and their defaults live; walk() reads n_steps, optim_steps, lr, the
    three lambdas, space, noise_mode, clamp, memory_budget_mb, early stopping, autocast and
    channels_last from it and ignores the walk stage's own keys (methods, pairs_per_chunk, strip_paths).
    In W+ space, latents [P, w_dim] are broadcast to every layer first. Early stopping is
    per pair: a pair whose loss has not improved by `early_stop_rel_tol` (relative) for
    `early_stop_patience` steps is frozen where it is and no longer rendered; the walk ends
    when every pair is frozen. Per-pair freezing keeps pairs independent of each other.
    `log_fn(step, terms)` receives the mean over pairs of the paper's loss and of its three
    unweighted terms (priv: Σ chunk KL, eq: Σ squared distances, cls: Σ chunk CE).
    cfg.memory_budget_mb=None sizes the image chunks from the device (walk/chunk_budget.py).
    cfg.autocast='bf16' | 'fp16' renders G and the classifiers in reduced precision (faster,
    not bit-exact); the latents, the losses and Adam stay in the latents' dtype. A CPU that would
    emulate the reduced type walks in float32 instead, with a warning (core/device_settings.autocast_dtype).
    cfg.channels_last runs the networks' convolutions in NHWC (same result, faster).
    The keyword arguments below are not config settings: none of them can change a path
    (loss_chunk is the paper's fixed group of 4 images, not a knob).
    workers: image chunks rendered at once, one thread each (None: one per CPU thread, 1 on a GPU).
    heap_reuse: on a CPU, keep freed activation memory in the heap while walking (glibc;
    walk/heap_reuse.py): the same arithmetic without a page fault per fresh 4 KB. Not a config
    key: it cannot change a path, so it must not change the walk stage's settings hash.
    fold_batchnorm: run copies of φ_id and φ_class whose eval-mode BatchNorms are folded into
    the convs before them (walk/batchnorm_folding.py): the same functions up to summation order.
    """
    if method not in ("plan", "linear"):
        raise ValueError(f"method must be 'plan' or 'linear', got {method!r}")
    n_steps, space = cfg.n_steps, cfg.space
    if n_steps < 2:
        raise ValueError(f"n_steps must be >= 2 (the two endpoints), got {n_steps}")
    if space == "w+" and w_a.dim() == 2:
        w_a = w_a.unsqueeze(1).repeat(1, G.num_ws, 1)
        w_b = w_b.unsqueeze(1).repeat(1, G.num_ws, 1)
    _check_inputs(G, w_a, w_b, labels, space)
    w_a, w_b, labels = w_a.detach(), w_b.detach(), labels.to(w_a.device).long()
    start = linear_paths(w_a, w_b, n_steps)
    if method == "linear" or n_steps == 2 or cfg.optim_steps == 0:
        return start
    if id_net is None or class_net is None:
        raise ValueError("method='plan' needs id_net and class_net")
    inner = start[:, 1:-1].clone().requires_grad_(True)
    with _frozen(G, id_net, class_net):
        if fold_batchnorm:
            id_net, class_net = folded_classifiers(G, id_net, class_net, w_a[:2])
        objective = PlanObjective(G, id_net, class_net, labels, cfg, loss_chunk, workers)
        with channels_last_weights(G, id_net, class_net, enabled=cfg.channels_last), \
                reused_heap(enabled=heap_reuse and w_a.device.type == "cpu"):
            inner = _optimise(objective, w_a, inner, w_b, cfg, progress, log_fn)
    return torch.cat([w_a.unsqueeze(1), inner, w_b.unsqueeze(1)], dim=1)


def pair_steps_taken(logs: list[list[dict]]) -> int:
    """Σ over the optimiser steps of the pairs still walking, from the step logs of one or more
    chunks (log_fn's rows): with the early stop, what a walk cost against pairs × optim_steps."""
    return int(sum(row.get("active_pairs", 0) for log in logs if log for row in log))


def folded_classifiers(G: LatentGenerator, id_net: nn.Module, class_net: nn.Module,
                        w: torch.Tensor) -> tuple[nn.Module, nn.Module]:
    """φ_id and φ_class with BatchNorm folded, checked on images of the walk's start points
    ('const' noise: the probe must not draw from the random stream the walk may use)."""
    with torch.no_grad():
        images = G.synthesize(w, noise_mode="const").clamp(-1, 1)
    return (with_batchnorm_folded(id_net, match_channels(images, expected_channels(id_net))),
            with_batchnorm_folded(class_net, match_channels(images, expected_channels(class_net))))


def _optimise(objective: PlanObjective, w_a: torch.Tensor, inner: torch.Tensor, w_b: torch.Tensor,
              cfg: WalkConfig, progress: bool, log_fn: LogFn | None) -> torch.Tensor:
    P = inner.shape[0]
    optim_steps, patience, rel_tol = cfg.optim_steps, cfg.early_stop_patience, cfg.early_stop_rel_tol
    optimizer = torch.optim.Adam([inner], lr=cfg.lr)
    active = torch.ones(P, dtype=torch.bool, device=inner.device)
    best = torch.full((P,), float("inf"), dtype=inner.dtype, device=inner.device)
    stale = torch.zeros(P, dtype=torch.long, device=inner.device)
    weights = objective.weights
    bar = Progress(transient=True, disable=not progress)
    with bar:
        task = bar.add_task("PLAN paths", total=optim_steps)
        for step in range(optim_steps):
            optimizer.zero_grad(set_to_none=False)
            rows = active.nonzero().squeeze(1)
            kl, ce = objective.backward_images(inner, rows)
            eq = objective.backward_spacing(w_a, inner, w_b)[rows]
            loss = weights.priv * kl + weights.eq * eq + weights.cls * ce
            if log_fn is not None:
                log_fn(step, {"loss": loss.mean().item(), "priv": kl.mean().item(), "eq": eq.mean().item(),
                              "cls": ce.mean().item(), "active_pairs": len(rows)})
            frozen_values = inner.detach()[~active].clone()
            optimizer.step()
            with torch.no_grad():
                inner[~active] = frozen_values
            bar.advance(task)
            if patience > 0:
                improved = loss < best[rows] * (1 - rel_tol) if rel_tol > 0 else loss < best[rows]
                best[rows] = torch.where(improved, loss.detach(), best[rows])
                stale[rows] = torch.where(improved, 0, stale[rows] + 1)
                active[rows] = stale[rows] < patience
                if not active.any():
                    break
    return inner.detach()
