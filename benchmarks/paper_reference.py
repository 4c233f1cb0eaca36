"""The paper's walker (perceivelab/PLAN, privacy_path.py, get_privacy_path), transcribed by its
semantics in our own code: the yardstick of the exactness tests and of bench_walker.py.

One pair at a time: linear start a + t(b − a); only the n − 2 inner points are optimised,
rendered (W broadcast to every layer, noise 'const', clamped, grayscale repeated to 3 channels)
and scored in chunks of 4 from the first inner point, each chunk adding its batchmean KL to
uniform and its mean CE; equidistance Σ pairwise_distance(w_i, w_{i+1})² over the whole path
(pairwise_distance's eps included); loss = λ_priv·priv + λ_eq·eq + λ_cls·cls (paper: 0.1, 1, 1);
Adam(lr 0.1, betas 0.9/0.999).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from lightning_privgan.config.sections.walk import WalkConfig

PAPER_LR = 0.1
PAPER_LAMBDAS = (0.1, 1.0, 1.0)  # λ_priv, λ_eq, λ_cls of privacy_path.py (the framework's walk.lambda_priv is 1.0)


def paper_walk_config(n_steps: int, optim_steps: int, **overrides) -> WalkConfig:
    """The `walk` settings under which our walker is the paper's: its lr and lambdas, W space,
    'const' noise, clamped images, no early stop, full precision (`overrides` for the rest)."""
    lambda_priv, lambda_eq, lambda_cls = PAPER_LAMBDAS
    paper = dict(n_steps=n_steps, optim_steps=optim_steps, lr=PAPER_LR, lambda_priv=lambda_priv, lambda_eq=lambda_eq,
                 lambda_cls=lambda_cls, space="w", noise_mode="const", clamp=True, early_stop_patience=0, autocast="none")
    return WalkConfig(**{**paper, **overrides})


def paper_walk(G, w_a: torch.Tensor, w_b: torch.Tensor, label: int, id_net, class_net, n_steps: int,
               optim_steps: int, lr: float = PAPER_LR, lambdas: tuple[float, float, float] = PAPER_LAMBDAS):
    """Path [n_steps, w_dim] from w_a to w_b [w_dim], and the per-step loss terms."""
    lambda_priv, lambda_eq, lambda_cls = lambdas
    t = torch.linspace(0, 1, n_steps, dtype=w_a.dtype, device=w_a.device)
    inner = torch.stack([w_a + weight * (w_b - w_a) for weight in t])[1:-1].clone().requires_grad_(True)
    opt = torch.optim.Adam([inner], betas=(0.9, 0.999), lr=lr)
    target = torch.tensor(label, device=w_a.device)
    log = []
    for _ in range(optim_steps):
        opt.zero_grad()
        imgs = G.synthesis(inner.unsqueeze(1).repeat(1, G.mapping.num_ws, 1), noise_mode="const").clamp(-1, 1)
        if imgs.shape[1] == 1:
            imgs = imgs.repeat(1, 3, 1, 1)
        priv = cls = 0
        for chunk in imgs.split(4):
            out = id_net(chunk)
            uniform = torch.ones(out.shape[1], dtype=out.dtype, device=out.device) / out.shape[1]
            priv = priv + F.kl_div(F.log_softmax(out, dim=1), uniform, reduction="batchmean")
            out = class_net(chunk)
            cls = cls + F.cross_entropy(out, target.repeat(out.shape[0]))
        full = torch.cat([w_a[None], inner, w_b[None]])
        eq = F.pairwise_distance(full[:-1], full[1:]).square().sum()
        loss = lambda_priv * priv + lambda_eq * eq + lambda_cls * cls
        log.append({"loss": loss.item(), "priv": priv.item(), "eq": eq.item(), "cls": cls.item()})
        loss.backward()
        opt.step()
    return torch.cat([w_a[None], inner.detach(), w_b[None]]), log
