"""Project real images into W (or W+) of a generator: the anchors of the latent walks.

Follows StyleGAN2's projector (Karras et al. 2020, appendix D): start at the mean w
(of the image's class when the generator is conditional), Adam with a cosine lr
ramp-down and a decaying noise on w for the first 3/4 of the steps, noise_mode 'const'.

Loss per image: pixel MSE + feature_weight x (multi-scale L1 on 2x/4x average-pooled
images + L1 between image gradients). A fixed random-init CNN is NOT a perceptual
metric, so when no trained network is given we stay in pixel / gradient space, which
weighs structure (edges, coarse shapes) as well as intensities. Pass `feature_net`
(e.g. the discriminator's `features`, or the offline FD encoder) to use its features
instead. Noise maps are not optimised (the walker renders with the const noise).

cfg.autocast ('bf16' | 'fp16') renders G in that type inside the optimisation loop, where a
CPU with native bf16 (AVX512-BF16/AMX) does the projector's G forward and backward about 1.9x
faster (benchmarks/bench_memory_layout.py shapes); w, the loss, Adam and the final reconstruction
error stay float32. A CPU that would emulate the type projects in float32, with a warning.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from rich.progress import Progress

from ..config.sections.gan import ProjectionConfig
from ..core.device_settings import autocast_dtype, render_autocast
from .latent_generator import LatentGenerator


@dataclass
class ProjectionResult:
    w: torch.Tensor  # [N, w_dim] (W) or [N, num_ws, w_dim] (W+)
    recon_error: torch.Tensor  # [N] per-image MSE in [-1, 1] units
    psnr: torch.Tensor  # [N] dB, peak-to-peak range 2


def psnr_from_mse(mse: torch.Tensor) -> torch.Tensor:
    return 10 * torch.log10(4.0 / mse.clamp_min(1e-12))


def structure_loss(img: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-image multi-scale L1 + image-gradient L1: [N]."""
    loss = 0
    for s in (2, 4):
        if img.shape[-1] >= 2 * s:
            loss = loss + (F.avg_pool2d(img, s) - F.avg_pool2d(target, s)).abs().mean(dim=[1, 2, 3])
    dx = lambda x: x[..., :, 1:] - x[..., :, :-1]  # noqa: E731
    dy = lambda x: x[..., 1:, :] - x[..., :-1, :]  # noqa: E731
    return loss + (dx(img) - dx(target)).abs().mean(dim=[1, 2, 3]) + (dy(img) - dy(target)).abs().mean(dim=[1, 2, 3])


@torch.no_grad()
def mean_w(G: LatentGenerator, labels: torch.Tensor | None, samples: int = 2048, seed: int = 0) -> tuple[torch.Tensor, float]:
    """Per-image start points [N, w_dim] (class means when conditional) and the w spread."""
    dev = G.device
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(samples, G.z_dim, generator=gen).to(dev)
    classes = [None] if G.c_dim == 0 else labels.unique().tolist()
    means, spread = {}, []
    for k in classes:
        w = G.map(z, None if k is None else torch.full((samples,), k, device=dev))[:, 0].float()
        means[k] = w.mean(0)
        spread.append(w.square().sum(1).mean().sub(w.mean(0).square().sum()).clamp_min(0).sqrt())
    starts = torch.stack([means[None if k is None else int(k)] for k in (labels.tolist() if G.c_dim else [None] * 1)])
    return starts, float(torch.stack(spread).mean())


def project(G: LatentGenerator, images: torch.Tensor, labels: torch.Tensor | None = None, cfg: ProjectionConfig | None = None,
            w_plus: bool | None = None, seed: int = 0, progress: bool = True,
            feature_net: Callable[[torch.Tensor], torch.Tensor] | None = None) -> ProjectionResult:
    """Invert `images` [N, C, H, W] in [-1, 1]; w_plus=None takes cfg.w_plus."""
    cfg = cfg or ProjectionConfig()
    w_plus = cfg.w_plus if w_plus is None else w_plus
    if images.ndim != 4 or images.shape[1:] != (G.img_channels, G.img_resolution, G.img_resolution):
        raise ValueError(f"images must be [N, {G.img_channels}, {G.img_resolution}, {G.img_resolution}] for this "
                         f"generator, got {list(images.shape)}")
    if G.c_dim > 0 and (labels is None or len(labels) != len(images)):
        raise ValueError("a conditional generator needs one label per image to project")
    dev = G.device
    render_dtype = autocast_dtype("gan.projection.autocast", str(cfg.autocast), dev)
    ws, errors = [], []
    bs = int(cfg.batch_size)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("projecting into W" + ("+" if w_plus else ""), total=len(images) * cfg.steps)
        for start in range(0, len(images), bs):
            target = images[start:start + bs].to(dev).float()
            lab = None if labels is None else labels[start:start + bs].to(dev)
            w, err = _project_batch(G, target, lab, cfg, w_plus, seed + start, feature_net, render_dtype,
                                    lambda k: bar.advance(task, k))
            ws.append(w.cpu())
            errors.append(err.cpu())
    mse = torch.cat(errors)
    return ProjectionResult(w=torch.cat(ws), recon_error=mse, psnr=psnr_from_mse(mse))


def _project_batch(G, target, labels, cfg, w_plus: bool, seed: int, feature_net, render_dtype, advance):
    n = len(target)
    w_start, w_std = mean_w(G, labels if G.c_dim else None, seed=seed)
    w_start = w_start.expand(n, -1) if G.c_dim == 0 else w_start
    w = (w_start[:, None].repeat(1, G.num_ws, 1) if w_plus else w_start.clone()).requires_grad_(True)
    opt = torch.optim.Adam([w], lr=cfg.lr, betas=(0.9, 0.999))
    gen = torch.Generator(device=w.device).manual_seed(seed)
    target_feats = feature_net(target).detach() if feature_net is not None else None
    for step in range(cfg.steps):
        t = step / max(cfg.steps - 1, 1)
        # StyleGAN2 projector schedule: 5% lr warm-up, cosine ramp-down over the last 25%,
        # and w noise (5% of the w spread) decaying quadratically to zero at 75%.
        ramp = min(1.0, (1.0 - t) / 0.25)
        lr = cfg.lr * (0.5 - 0.5 * math.cos(ramp * math.pi)) * min(1.0, t / 0.05 + 1e-3)
        for group in opt.param_groups:
            group["lr"] = lr
        noise_scale = w_std * 0.05 * max(0.0, 1.0 - t / 0.75) ** 2
        w_in = w + torch.randn(w.shape, generator=gen, device=w.device) * noise_scale
        with render_autocast(w.device, render_dtype):
            img = G.synthesize(w_in, noise_mode="const")
        img = img.float()
        loss_each = (img - target).square().mean(dim=[1, 2, 3])
        if cfg.feature_weight > 0:
            if target_feats is None:
                extra = structure_loss(img, target)
            else:
                extra = (feature_net(img) - target_feats).square().flatten(1).mean(1)
            loss_each = loss_each + cfg.feature_weight * extra
        # Sum, not mean: each image's w gets its own gradient, independent of batch size.
        (grad,) = torch.autograd.grad(loss_each.sum(), w)
        w.grad = grad
        opt.step()
        advance(n)
    with torch.no_grad():
        mse = (G.synthesize(w, noise_mode="const").float().clamp(-1, 1) - target).square().mean(dim=[1, 2, 3])
    return w.detach(), mse
