"""StyleGAN2 generator: mapping z (+ class) -> w, synthesis w -> image.

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
from .layers import (NOISE_MODES, EqualLinear, SynthesisLayer, ToRGB, channels_at, normalize_2nd_moment,
                              upsample2x)



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
        from .presets import resolve_architecture

        arch = resolve_architecture(gan_cfg)
        c_dim = num_classes if gan_cfg.conditional else 0
        return cls(z_dim=arch["z_dim"], c_dim=c_dim, w_dim=arch["w_dim"], img_resolution=resolution,
                   img_channels=channels, mapping_layers=arch["mapping_layers"],
                   channel_base=arch["channel_base"], channel_max=arch["channel_max"])
