"""The PLAN loss of many paths, evaluated chunk by chunk with gradients accumulated.

L = λ_priv Σ_i a_i KL(u‖φ_id(G(w_i))) + λ_eq Σ_i ‖w_i − w_{i+1} + eps‖² + λ_cls Σ_i a_i CE(φ_class(G(w_i)), y)
over the inner points i of each path (losses.py: the weights a_i and the eps). All inner points
of all paths form one flat batch of images; it is pushed through G, φ_id and φ_class in chunks
sized to the device, each chunk back-propagated at once so only one chunk's activations are
alive. The per-image weights make the sum equal to the reference's chunk-of-4 sums whatever
our chunk size, so chunking is invisible in the result.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..config.sections.walk import WalkConfig
from ..models.components.channel_adapter import expected_channels, match_channels
from ..models.latent_generator import LatentGenerator
from ..core import device_settings
from .losses import cross_entropy_per_image, equal_spacing, inner_point_weights, kl_uniform_per_image
from .chunk_parallel import default_workers, map_chunks
from .chunk_budget import chunk_size_for_budget, device_budget_mb, saved_bytes_per_image


@dataclass(frozen=True)
class PlanWeights:
    """λ_priv, λ_eq, λ_cls; no defaults here: they live in the `walk` config section."""
    priv: float
    eq: float
    cls: float

    @classmethod
    def from_config(cls, walk_cfg: WalkConfig) -> "PlanWeights":
        return cls(float(walk_cfg.lambda_priv), float(walk_cfg.lambda_eq), float(walk_cfg.lambda_cls))


class PlanObjective:
    """The paper's PLAN loss for P paths of n points; only the n − 2 inner points are rendered.

    cfg: the `walk` config section (n_steps, the lambdas, space, noise_mode, clamp,
    memory_budget_mb, autocast); loss_chunk and workers cannot change a path, so they are not settings.
    """

    def __init__(self, G: LatentGenerator, id_net: nn.Module, class_net: nn.Module, labels: torch.Tensor,
                 cfg: WalkConfig, loss_chunk: int, workers: int | None) -> None:
        space, autocast, memory_budget_mb = cfg.space, cfg.autocast, cfg.memory_budget_mb
        if space not in ("w", "w+"):
            raise ValueError(f"space must be 'w' or 'w+', got {space!r}")
        if memory_budget_mb is not None and memory_budget_mb <= 0:
            raise ValueError(f"memory_budget_mb must be positive or null (sized from the device), got {memory_budget_mb}")
        self.G, self.id_net, self.class_net = G, id_net, class_net
        self.labels = labels
        self.weights = PlanWeights.from_config(cfg)
        self.space, self.noise_mode, self.clamp = space, cfg.noise_mode, cfg.clamp
        self.id_channels = expected_channels(id_net)
        self.class_channels = expected_channels(class_net)
        self.point_weight = inner_point_weights(cfg.n_steps, loss_chunk)
        self.memory_budget_mb = memory_budget_mb
        self.chunk: int | None = None
        # bf16 autocast roughly doubled the image throughput on an AVX512-bf16 CPU (60-78 -> 126
        # img/s, tiny preset, 1 thread); the losses stay in float32. Where torch emulates bf16 (AVX2,
        # no AVX512-BF16/AMX) it was 17x slower, so such a CPU walks in float32, with a warning.
        self.autocast_dtype = device_settings.autocast_dtype("walk.autocast", autocast, labels.device)
        self.workers = workers if workers is not None else default_workers(labels.device)
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")

    def _images(self, w: torch.Tensor) -> torch.Tensor:
        images = self.G.synthesize(w, noise_mode=self.noise_mode)  # W latents: one w for every layer
        return images.clamp(-1, 1) if self.clamp else images

    def image_terms(self, w: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(KL to uniform, CE) per image for latents w [N, ...] with class labels [N]."""
        with device_settings.render_autocast(w.device, self.autocast_dtype):
            images = self._images(w)
            id_logits = self.id_net(match_channels(images, self.id_channels))
            class_logits = self.class_net(match_channels(images, self.class_channels))
        kl = kl_uniform_per_image(id_logits.to(w.dtype))
        ce = cross_entropy_per_image(class_logits.to(w.dtype), labels)
        return kl, ce

    def _chunk_size(self, inner: torch.Tensor, limit: int) -> int:
        if self.chunk is None:
            probe_w = inner.detach().flatten(0, 1)[:1].repeat_interleave(2, dim=0).requires_grad_(True)
            probe_labels = self.labels[:1].repeat(2)

            def render(n: int) -> torch.Tensor:
                kl, ce = self.image_terms(probe_w[:n], probe_labels[:n])
                return (kl + ce).sum()

            budget = self.memory_budget_mb if self.memory_budget_mb is not None else device_budget_mb(inner.device)
            self.chunk = chunk_size_for_budget(saved_bytes_per_image(render), budget, limit)
        return min(self.chunk, limit)

    def _chunk_gradient(self, w: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor):
        """Gradient of the weighted image terms w.r.t. latents w [N, ...] (detached), and the terms."""
        w = w.detach().requires_grad_(True)
        kl, ce = self.image_terms(w, labels)
        kl_w, ce_w = weight * kl, weight * ce
        (grad,) = torch.autograd.grad(self.weights.priv * kl_w.sum() + self.weights.cls * ce_w.sum(), w)
        return grad, kl_w.detach(), ce_w.detach()

    def backward_images(self, inner: torch.Tensor, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Add the image terms' gradients of paths `rows` to inner.grad.

        inner: the [P, n-2, ...] leaf being optimised. Returns the paper's (privacy, class)
        sums per path [len(rows)]: Σ over chunks of 4 of the batchmean KL and of the mean CE.
        Each image depends on its own latent only, so every gradient row comes from exactly
        one chunk: chunk size and worker count cannot change the result.
        """
        m = inner.shape[1]
        count = len(rows) * m
        point_w = self.point_weight.to(inner.device, inner.dtype).repeat(len(rows))
        labels = self.labels[rows].repeat_interleave(m)
        flat = inner.detach()[rows].flatten(0, 1)
        # The chunking never depends on the worker count (each worker holds one chunk), so
        # neither does the round-off: one process and every rank of a DDP world cut alike.
        chunk = self._chunk_size(inner, count)
        slices = [slice(s, min(s + chunk, count)) for s in range(0, count, chunk)]
        parts = map_chunks(lambda sl: self._chunk_gradient(flat[sl], labels[sl], point_w[sl]), slices, self.workers)
        grad = torch.cat([g for g, _, _ in parts]).view(len(rows), *inner.shape[1:])
        if inner.grad is None:
            inner.grad = torch.zeros_like(inner)
        inner.grad[rows] += grad
        owner = torch.arange(len(rows), device=inner.device).repeat_interleave(m)
        kl_sum = torch.zeros(len(rows), dtype=inner.dtype, device=inner.device)
        ce_sum = torch.zeros_like(kl_sum)
        kl_sum.index_add_(0, owner, torch.cat([k for _, k, _ in parts]))
        ce_sum.index_add_(0, owner, torch.cat([c for _, _, c in parts]))
        return kl_sum, ce_sum

    def backward_spacing(self, w_a: torch.Tensor, inner: torch.Tensor, w_b: torch.Tensor) -> torch.Tensor:
        """Accumulate the equal-spacing gradient; returns Σ‖w_i − w_{i+1} + eps‖² per path [P]."""
        full = torch.cat([w_a.unsqueeze(1), inner, w_b.unsqueeze(1)], dim=1)
        eq = equal_spacing(full)
        (self.weights.eq * eq.sum()).backward()
        return eq.detach()
