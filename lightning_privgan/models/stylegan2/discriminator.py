"""StyleGAN2 residual discriminator with a minibatch-stddev layer and projection conditioning."""
from __future__ import annotations

import math

import torch
from torch import nn

from .layers import EqualConv2d, EqualLinear, channels_at


class DiscriminatorBlock(nn.Module):
    """Two 3x3 convs (the second halves the resolution) plus a 1x1 down-sampled skip."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, in_channels, 3)
        self.conv1 = EqualConv2d(in_channels, out_channels, 3, down=True)
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False, activation=False, down=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # sqrt(0.5) keeps the variance of the residual sum equal to its inputs'.
        return (self.skip(x) + self.conv1(self.conv0(x))) * math.sqrt(0.5)


class MinibatchStd(nn.Module):
    """Appends the average std of features over small groups: lets D see a lack of variety."""

    def __init__(self, group_size: int = 4, num_channels: int = 1):
        super().__init__()
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        # Largest group size <= group_size that divides the (per-rank) batch.
        g = max(d for d in range(1, min(self.group_size, n) + 1) if n % d == 0)
        f = self.num_channels
        # at least fp32 under autocast (a variance of half floats loses precision); float64 stays float64
        y = x.reshape(g, -1, f, c // f, h, w).to(torch.promote_types(x.dtype, torch.float32))
        y = (y - y.mean(0)).square().mean(0).add(1e-8).sqrt()  # [n/g, f, c/f, h, w]
        y = y.mean(dim=[2, 3, 4]).reshape(-1, f, 1, 1).repeat(g, 1, h, w)
        return torch.cat([x, y.to(x.dtype)], dim=1)


class Discriminator(nn.Module):
    def __init__(self, c_dim: int, img_resolution: int, img_channels: int,
                 channel_base: int = 16384, channel_max: int = 512, mbstd_group_size: int = 4):
        super().__init__()
        log2 = int(math.log2(img_resolution))
        if img_resolution < 8 or 2**log2 != img_resolution:
            raise ValueError(f"img_resolution must be a power of two >= 8, got {img_resolution}")
        self.c_dim, self.img_resolution, self.img_channels = c_dim, img_resolution, img_channels
        ch = lambda r: channels_at(r, channel_base, channel_max)  # noqa: E731
        self.from_rgb = EqualConv2d(img_channels, ch(img_resolution), 1)
        self.blocks = nn.Sequential(*[DiscriminatorBlock(ch(2**i), ch(2**(i - 1))) for i in range(log2, 2, -1)])
        c4 = ch(4)
        self.mbstd = MinibatchStd(mbstd_group_size)
        self.conv = EqualConv2d(c4 + 1, c4, 3)
        self.fc = EqualLinear(c4 * 16, c4, activation=True)
        # Projection discriminator (Miyato & Koyama 2018): score = <features, embed(c)>,
        # as StyleGAN2-ADA's conditional D does with its cmap.
        self.cmap_dim = c4 if c_dim > 0 else 1
        self.out = EqualLinear(c4, self.cmap_dim)
        self.embed = EqualLinear(c_dim, self.cmap_dim) if c_dim > 0 else None

    def features(self, img: torch.Tensor) -> torch.Tensor:
        """[N, C4] penultimate features (usable as a feature loss by the projector)."""
        x = self.blocks(self.from_rgb(img))
        x = self.conv(self.mbstd(x))
        return self.fc(x.flatten(1))

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Logits [N] (real > 0)."""
        x = self.out(self.features(img))
        if self.embed is None:
            return x.squeeze(1)
        if c is None:
            raise ValueError(f"conditional discriminator needs one-hot c of shape [N, {self.c_dim}]")
        cmap = self.embed(c.to(x.dtype))
        return (x * cmap).sum(dim=1) / math.sqrt(self.cmap_dim)

    @classmethod
    def from_config(cls, gan_cfg, num_classes: int, channels: int, resolution: int) -> "Discriminator":
        from .presets import resolve_architecture

        arch = resolve_architecture(gan_cfg)
        c_dim = num_classes if gan_cfg.conditional else 0
        return cls(c_dim, resolution, channels, channel_base=arch["channel_base"], channel_max=arch["channel_max"])
