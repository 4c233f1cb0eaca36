"""The StyleGAN2 networks: the generator (mapping z (+ class) -> w, synthesis w -> image) and the
residual discriminator.

The attribute and method names follow NVIDIA's stylegan2-ada-pytorch (DESIGN.md, fixed);
GAN training uses them directly. Everything after training goes through the LatentGenerator
interface (map, synthesize, w_avg), which a wrapped NVIDIA pickle implements too.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ..latent_generator import LatentGenerator
from .layers import (NOISE_MODES, EqualConv2d, EqualLinear, SynthesisLayer, ToRGB, channels_at, normalize_2nd_moment,
                     upsample2x)
from .presets import resolve_architecture


class MappingNetwork(nn.Module):
    def __init__(self, z_dim: int, c_dim: int, w_dim: int, num_ws: int, num_layers: int = 8,
                 lr_multiplier: float = 0.01, w_avg_beta: float = 0.995):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = z_dim, c_dim, w_dim, num_ws
        self.w_avg_beta = w_avg_beta
        self.embed = EqualLinear(c_dim, w_dim) if c_dim > 0 else None
        in_dim = z_dim + (w_dim if c_dim > 0 else 0)
        dims = [in_dim] + [w_dim] * num_layers
        # lr multiplier 0.01 (StyleGAN2): the mapping moves 100x slower than synthesis.
        self.layers = nn.ModuleList(
            EqualLinear(dims[i], dims[i + 1], lr_multiplier=lr_multiplier, activation=True) for i in range(num_layers)
        )
        # Running mean of w, the centre of the truncation trick and the projector's start.
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None, truncation_psi: float = 1.0,
                update_w_avg: bool = False) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z must have shape [N, {self.z_dim}], got {list(z.shape)}")
        x = normalize_2nd_moment(z.float())
        if self.embed is not None:
            if c is None or c.ndim != 2 or c.shape != (z.shape[0], self.c_dim):
                got = None if c is None else list(c.shape)
                raise ValueError(f"conditional generator needs one-hot c of shape [{z.shape[0]}, {self.c_dim}], got {got}")
            x = torch.cat([x, normalize_2nd_moment(self.embed(c.float()))], dim=1)
        for layer in self.layers:
            x = layer(x)
        if update_w_avg:
            with torch.no_grad():
                self.w_avg.copy_(x.detach().float().mean(0).lerp(self.w_avg, self.w_avg_beta))  # fp32 under autocast
        if truncation_psi != 1.0:
            x = self.w_avg.to(x.dtype).lerp(x, truncation_psi)
        return x.unsqueeze(1).repeat(1, self.num_ws, 1)


class SynthesisBlock(nn.Module):
    """One resolution: (up-sampling conv0,) conv1, toRGB added to the up-sampled skip image."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int):
        super().__init__()
        self.resolution = resolution
        self.is_first = in_channels == 0
        if self.is_first:
            self.const = nn.Parameter(torch.randn(out_channels, resolution, resolution))
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=True)
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution)
        self.torgb = ToRGB(out_channels, img_channels, w_dim)
        self.num_conv = 1 if self.is_first else 2

    def forward(self, x, img, ws: torch.Tensor, noise_mode: str):
        if self.is_first:
            # A broadcast view: the modulation that follows writes the per-sample copies.
            x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1).to(ws.dtype)
            x = self.conv1(x, ws[:, 0], noise_mode)
        else:
            x = self.conv0(x, ws[:, 0], noise_mode)
            x = self.conv1(x, ws[:, 1], noise_mode)
        # The image sums in at least float32 (half-precision layers under autocast), and in
        # float64 when G runs in float64 (the walker's exactness checks need its round-off).
        y = self.torgb(x, ws[:, self.num_conv])
        y = y.to(torch.promote_types(y.dtype, torch.float32))
        img = y if img is None else upsample2x(img) + y
        return x, img


class SynthesisNetwork(nn.Module):
    def __init__(self, w_dim: int, img_resolution: int, img_channels: int, channel_base: int, channel_max: int):
        super().__init__()
        log2 = int(math.log2(img_resolution))
        if img_resolution < 4 or 2**log2 != img_resolution:
            raise ValueError(f"img_resolution must be a power of two >= 4, got {img_resolution}")
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, img_channels
        resolutions = [2**i for i in range(2, log2 + 1)]
        self.blocks = nn.ModuleList()
        in_ch = 0
        for res in resolutions:
            out_ch = channels_at(res, channel_base, channel_max)
            self.blocks.append(SynthesisBlock(in_ch, out_ch, w_dim, res, img_channels))
            in_ch = out_ch
        # Each block reads num_conv ws plus one for toRGB, which it shares with the next block's conv0.
        self.num_ws = sum(b.num_conv for b in self.blocks) + 1

    def forward(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must have shape [N, {self.num_ws}, {self.w_dim}], got {list(ws.shape)}")
        x = img = None
        w_idx = 0
        for block in self.blocks:
            x, img = block(x, img, ws[:, w_idx: w_idx + block.num_conv + 1], noise_mode)
            w_idx += block.num_conv
        return img


class Generator(LatentGenerator):
    def __init__(self, z_dim: int, c_dim: int, w_dim: int, img_resolution: int, img_channels: int,
                 mapping_layers: int = 8, channel_base: int = 16384, channel_max: int = 512):
        super().__init__()
        if img_channels not in (1, 3):
            raise ValueError(f"img_channels must be 1 or 3, got {img_channels}")
        # Kept so that save_generator can rebuild the network without Lightning.
        self.init_kwargs: dict[str, Any] = dict(
            z_dim=z_dim, c_dim=c_dim, w_dim=w_dim, img_resolution=img_resolution, img_channels=img_channels,
            mapping_layers=mapping_layers, channel_base=channel_base, channel_max=channel_max,
        )
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        self.synthesis = SynthesisNetwork(w_dim, img_resolution, img_channels, channel_base, channel_max)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, c_dim, w_dim, self.num_ws, num_layers=mapping_layers)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None, truncation_psi: float = 1.0,
                noise_mode: str = "const") -> torch.Tensor:
        ws = self.mapping(z, c, truncation_psi=truncation_psi)
        return self.synthesis(ws, noise_mode=noise_mode)

    # LatentGenerator
    def map(self, z: torch.Tensor, labels: torch.Tensor | None = None, truncation_psi: float = 1.0) -> torch.Tensor:
        return self.mapping(z, self.condition(z, labels), truncation_psi=truncation_psi)

    def render(self, ws: torch.Tensor, noise_mode: str) -> torch.Tensor:
        return self.synthesis(ws, noise_mode=noise_mode)

    @property
    def w_avg(self) -> torch.Tensor:
        return self.mapping.w_avg

    @classmethod
    def from_config(cls, gan_cfg, num_classes: int, channels: int, resolution: int) -> "Generator":
        """Build from the `gan` config section; presets fill the architecture keys left null."""
        arch = resolve_architecture(gan_cfg)
        c_dim = num_classes if gan_cfg.conditional else 0
        return cls(z_dim=arch["z_dim"], c_dim=c_dim, w_dim=arch["w_dim"], img_resolution=resolution,
                   img_channels=channels, mapping_layers=arch["mapping_layers"],
                   channel_base=arch["channel_base"], channel_max=arch["channel_max"])


# -- the discriminator: residual, with a minibatch-stddev layer and projection conditioning --
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
        arch = resolve_architecture(gan_cfg)
        c_dim = num_classes if gan_cfg.conditional else 0
        return cls(c_dim, resolution, channels, channel_base=arch["channel_base"], channel_max=arch["channel_max"])


def build_gan_networks(gan_cfg: Any, num_classes: int, channels: int, resolution: int):
    """(G, D) for GANModule from the `gan` section. G is built first: with the same seed a run
    draws the same initial weights as it always has."""
    G = Generator.from_config(gan_cfg, num_classes, channels, resolution)
    D = Discriminator.from_config(gan_cfg, num_classes, channels, resolution)
    return G, D
