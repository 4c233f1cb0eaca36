"""Differentiable adaptive discriminator augmentation (ADA, Karras et al. 2020), reduced.

Every transform is applied to reals and fakes alike and is differentiable with respect
to the image, so G learns through it; with p < ~0.8 the augmentations do not 'leak'
into the generated distribution. p is adapted from the overfitting heuristic
r_t = E[sign(D(real))] toward `target`.

R1 differentiates D's gradient w.r.t. the augmented reals once more (double backward).
The geometric part is therefore built from `torch.gather` with integer indices, not from
`grid_sample`: CUDA has no derivative of grid_sampler_2d_backward, while gather's
backward (a scatter-add) and its backward (a gather again) are plain linear index maps on
every device. The shifts are whole pixels, so the gather is exact: it picks the same
pixels as nearest-neighbour grid_sample with reflection padding (align_corners=False).
"""
from __future__ import annotations

import math

import torch
from torch import nn


def reflect_index(index: torch.Tensor, size: int) -> torch.Tensor:
    """Reflect integer pixel indices into [0, size) about the outer pixel edges
    (…, 1, 0 | 0, 1, …, size-1 | size-1, size-2, …), the reflection padding of
    grid_sample with align_corners=False; any distance from the image is folded."""
    period = index.remainder(2 * size)
    return torch.where(period < size, period, 2 * size - 1 - period)


def shift_and_flip(img: torch.Tensor, shift: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
    """out[n, :, y, x] = img[n, :, reflect(y + shift_y), reflect(x' + shift_x)], x' = W-1-x where flipped.

    `shift` long [N, 2] (x, y) in pixels, `flip` bool [N]. Rows then columns are gathered
    (two 1-D index maps instead of one 2-D one: the index tensors stay [N, 1, H, W]-sized).
    """
    n, c, h, w = img.shape
    xs = torch.arange(w, device=img.device).expand(n, w)
    xs = torch.where(flip[:, None], w - 1 - xs, xs)
    src_x = reflect_index(xs + shift[:, :1], w)  # [N, W]
    src_y = reflect_index(torch.arange(h, device=img.device)[None] + shift[:, 1:], h)  # [N, H]
    rows = img.gather(2, src_y[:, None, :, None].expand(n, c, h, w))
    return rows.gather(3, src_x[:, None, None, :].expand(n, c, h, w))


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
        # Geometric: integer translation (and optional x-flip) with reflection padding;
        # whole-pixel shifts introduce no blur. (The random draws keep their order.)
        flip = torch.zeros(n, dtype=torch.bool, device=dev)
        if self.flip:
            flip = (self._mask(n, dev) * torch.randint(0, 2, (n,), device=dev)) > 0
        shift = torch.round((torch.rand(n, 2, device=dev) * 2 - 1) * self.translate * torch.tensor([w, h], device=dev))
        shift = shift * self._mask(n, dev)[:, None]
        img = shift_and_flip(img, shift.long(), flip)
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
