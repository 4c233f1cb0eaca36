"""Differentiable adaptive discriminator augmentation (ADA, Karras et al. 2020), reduced.

Every transform is applied to reals and fakes alike and is differentiable with respect
to the image, so G learns through it; with p < ~0.8 the augmentations do not 'leak'
into the generated distribution. p is adapted from the overfitting heuristic
r_t = E[sign(D(real))] toward `target`.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class AdaptiveAugment(nn.Module):
    def __init__(self, p: float = 0.0, target: float = 0.6, adjust_kimg: float = 20.0, flip: bool = False,
                 translate: float = 0.125, cutout_size: float = 0.5, brightness_std: float = 0.2,
                 contrast_std: float = 0.5):
        super().__init__()
        # A buffer, so that p travels with the checkpoint and DDP broadcasts rank 0's value.
        self.register_buffer("p", torch.tensor(float(p)))
        self.target, self.adjust_kimg, self.flip = target, adjust_kimg, flip
        self.translate, self.cutout_size = translate, cutout_size
        self.brightness_std, self.contrast_std = brightness_std, contrast_std

    def _mask(self, n: int, device) -> torch.Tensor:
        """Per-sample Bernoulli(p): each transform is applied to each image independently."""
        return (torch.rand(n, device=device) < self.p).float()

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        if float(self.p) <= 0:
            return img
        n, _, h, w = img.shape
        dev = img.device
        # Geometric: integer translation (and optional x-flip) by grid_sample with
        # reflection padding; shifts are whole pixels so no blur is introduced.
        theta = torch.eye(2, 3, device=dev).repeat(n, 1, 1)
        if self.flip:
            flip = 1 - 2 * (self._mask(n, dev) * torch.randint(0, 2, (n,), device=dev))
            theta[:, 0, 0] = flip
        shift = torch.round((torch.rand(n, 2, device=dev) * 2 - 1) * self.translate * torch.tensor([w, h], device=dev))
        shift = shift * self._mask(n, dev)[:, None]
        theta[:, 0, 2] = shift[:, 0] * 2 / w
        theta[:, 1, 2] = shift[:, 1] * 2 / h
        grid = F.affine_grid(theta, list(img.shape), align_corners=False)
        img = F.grid_sample(img, grid.to(img.dtype), mode="nearest", padding_mode="reflection", align_corners=False)
        # Colour: brightness (additive) and contrast (log-normal scale around the image mean).
        bright = torch.randn(n, device=dev) * self.brightness_std * self._mask(n, dev)
        img = img + bright[:, None, None, None].to(img.dtype)
        contrast = torch.exp2(torch.randn(n, device=dev) * self.contrast_std * self._mask(n, dev))
        mean = img.mean(dim=[1, 2, 3], keepdim=True)
        img = (img - mean) * contrast[:, None, None, None].to(img.dtype) + mean
        # Cutout: a zeroed square of half the side at a random centre.
        centre = torch.rand(n, 2, 1, 1, device=dev)
        ys = (torch.arange(h, device=dev).float() + 0.5) / h
        xs = (torch.arange(w, device=dev).float() + 0.5) / w
        inside = ((xs[None, None, :] - centre[:, 0]).abs() < self.cutout_size / 2) & \
                 ((ys[None, :, None] - centre[:, 1]).abs() < self.cutout_size / 2)
        cut = inside.float() * self._mask(n, dev)[:, None, None]
        return img * (1 - cut[:, None].to(img.dtype))

    @torch.no_grad()
    def adjust(self, real_sign_mean: float, images_seen: int) -> None:
        """Move p by sign(r_t - target) at a speed that crosses 0..1 in `adjust_kimg`."""
        if self.target <= 0:
            return
        step = math.copysign(images_seen / (self.adjust_kimg * 1000), real_sign_mean - self.target)
        self.p.copy_((self.p + step).clamp(0.0, 1.0))
