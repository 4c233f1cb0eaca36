"""A network pickle in the format NVIDIA's stylegan2-ada-pytorch and stylegan3 write, made by the tests.

Their training loop pickles {G, D, G_ema, augment_pipe, training_set_kwargs}, each network
a deep copy in eval mode on the CPU. The stand-in generator keeps their interface (sizes as
attributes, `mapping(z, c, truncation_psi, truncation_cutoff, skip_w_avg_update)` returning ws
[N, num_ws, w_dim] and moving `w_avg` in training mode, `synthesis(ws, **block_kwargs)` taking
noise_mode and force_fp32) with a tiny network of our own. Its classes live in this importable
module, as theirs live in their repository, so that the pickle loads.
"""
from __future__ import annotations

import copy
import pickle
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn


class StandInMapping(nn.Module):
    def __init__(self, z_dim: int, c_dim: int, w_dim: int, num_ws: int, w_avg_beta: float = 0.995):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws, self.w_avg_beta = z_dim, c_dim, w_dim, num_ws, w_avg_beta
        self.embed = nn.Linear(c_dim, w_dim) if c_dim else None
        self.fc0 = nn.Linear(z_dim + (w_dim if c_dim else 0), w_dim)
        self.fc1 = nn.Linear(w_dim, w_dim)
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z, c, truncation_psi=1, truncation_cutoff=None, skip_w_avg_update=False):
        # Their misc.assert_shape: c is [N, c_dim], also when c_dim is 0.
        assert z.shape == (len(z), self.z_dim), z.shape
        assert c.shape == (len(z), self.c_dim), c.shape
        x = F.normalize(z.to(torch.float32), dim=1) * self.z_dim ** 0.5
        if self.c_dim:
            x = torch.cat([x, F.normalize(self.embed(c.to(torch.float32)), dim=1)], dim=1)
        x = F.leaky_relu(self.fc1(F.leaky_relu(self.fc0(x), 0.2)), 0.2)
        if self.training and not skip_w_avg_update:
            self.w_avg.copy_(x.detach().mean(0).lerp(self.w_avg, self.w_avg_beta))
        x = x.unsqueeze(1).repeat(1, self.num_ws, 1)
        if truncation_psi != 1:
            x = self.w_avg.lerp(x, truncation_psi)
        return x


class StandInSynthesis(nn.Module):
    """A learned 4x4 map doubled up to the resolution; layer i's w scales its channels."""

    def __init__(self, w_dim: int, img_resolution: int, img_channels: int, width: int = 8):
        super().__init__()
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, img_channels
        self.num_ws = 1
        while 4 * 2 ** (self.num_ws - 1) < img_resolution:
            self.num_ws += 1
        self.const = nn.Parameter(torch.randn(width, 4, 4))
        self.styles = nn.ModuleList(nn.Linear(w_dim, width) for _ in range(self.num_ws))
        self.convs = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in range(self.num_ws))
        self.torgb = nn.Conv2d(width, img_channels, 1)
        self.last_kwargs: dict = {}  # what the caller passed, for the tests

    def forward(self, ws, **block_kwargs):
        assert ws.shape[1:] == (self.num_ws, self.w_dim), ws.shape
        self.last_kwargs = dict(block_kwargs)
        noise_mode = block_kwargs.get("noise_mode", "random")
        ws = ws.to(torch.float32)
        x = self.const.unsqueeze(0).repeat(len(ws), 1, 1, 1)
        for i, (style, conv) in enumerate(zip(self.styles, self.convs)):
            if i:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = conv(x * (1 + style(ws[:, i]))[:, :, None, None])
            if noise_mode == "random":
                x = x + 0.1 * torch.randn_like(x)
            x = F.leaky_relu(x, 0.2)
        return torch.tanh(self.torgb(x))


class StandInGenerator(nn.Module):
    def __init__(self, z_dim: int, c_dim: int, w_dim: int, img_resolution: int, img_channels: int):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        self.synthesis = StandInSynthesis(w_dim, img_resolution, img_channels)
        self.num_ws = self.synthesis.num_ws
        self.mapping = StandInMapping(z_dim, c_dim, w_dim, self.num_ws)

    def forward(self, z, c, truncation_psi=1, truncation_cutoff=None, **synthesis_kwargs):
        ws = self.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        return self.synthesis(ws, **synthesis_kwargs)


class StandInDiscriminator(nn.Module):
    def __init__(self, c_dim: int, img_resolution: int, img_channels: int):
        super().__init__()
        self.c_dim, self.img_resolution, self.img_channels = c_dim, img_resolution, img_channels
        self.conv = nn.Conv2d(img_channels, 4, 3, stride=2, padding=1)
        self.out = nn.Linear(4 + c_dim, 1)

    def forward(self, img, c):
        return self.out(torch.cat([self.conv(img).mean([2, 3]), c], dim=1))


def write_network_pickle(path: str | Path, *, z_dim: int = 8, c_dim: int = 2, w_dim: int = 8, resolution: int = 16,
                         channels: int = 1, seed: int = 0) -> StandInGenerator:
    """Write a snapshot pickle as their training loop does; returns its G_ema (in memory)."""
    torch.manual_seed(seed)
    G = StandInGenerator(z_dim, c_dim, w_dim, resolution, channels)
    with torch.no_grad():  # a trained G's w_avg is the mean mapped latent: move it off zero
        c = F.one_hot(torch.arange(256) % max(c_dim, 1), c_dim).float() if c_dim else torch.zeros(256, 0)
        G.mapping.train()(torch.randn(256, z_dim), c)
        G.mapping.w_avg.copy_(G.mapping(torch.randn(1024, z_dim), c.repeat(4, 1))[:, 0].mean(0))
    D = StandInDiscriminator(c_dim, resolution, channels)
    snapshot = {"training_set_kwargs": {"class_name": "training.dataset.ImageFolderDataset", "path": "data.zip",
                                        "use_labels": c_dim > 0, "resolution": resolution, "max_size": 100}}
    for name, module in (("G", G), ("D", D), ("G_ema", copy.deepcopy(G)), ("augment_pipe", None)):
        snapshot[name] = None if module is None else copy.deepcopy(module).eval().requires_grad_(False).cpu()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(snapshot, f)
    return snapshot["G_ema"]
