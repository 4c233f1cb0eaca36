"""What the walk, the anchors, the projector, the audit and the export need of a generator.

A latent generator maps z (and a class label) to per-layer latents ws [N, num_ws, w_dim]
and renders ws to images. Everything after the gan stage uses only this interface, so the
project's StyleGAN2 (stylegan2/networks.py) and a wrapped NVIDIA stylegan2-ada / stylegan3
network pickle (nvidia_generator.py) are interchangeable. It is an nn.Module so that the walker
can freeze it, move it between devices and switch its weights to channels_last.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import nn


class LatentGenerator(nn.Module, ABC):
    """Attributes every implementation sets: z_dim, w_dim, num_ws (latents per image, one per
    layer), c_dim (classes of the one-hot conditioning; 0 = unconditional), img_channels (1 or 3)
    and img_resolution (side in pixels)."""

    z_dim: int
    w_dim: int
    num_ws: int
    c_dim: int
    img_channels: int
    img_resolution: int

    @abstractmethod
    def map(self, z: torch.Tensor, labels: torch.Tensor | None = None, truncation_psi: float = 1.0) -> torch.Tensor:
        """ws [N, num_ws, w_dim] of z [N, z_dim] and class indices labels [N].

        A conditional generator needs labels; an unconditional one has no class input and
        ignores them (callers pass the labels they have either way).
        """

    @abstractmethod
    def render(self, ws: torch.Tensor, noise_mode: str) -> torch.Tensor:
        """Images of ws [N, num_ws, w_dim], not clamped (the implementation's synthesis)."""

    @property
    @abstractmethod
    def w_avg(self) -> torch.Tensor:
        """The mean latent [w_dim]: the truncation centre and the projector's start."""

    # ------------------------------------------------------------------ shared
    def condition(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor | None:
        """The one-hot c [N, c_dim] (z's device and dtype) of class indices; None when unconditional."""
        if self.c_dim == 0:
            return None
        if labels is None or labels.shape != (len(z),):
            got = None if labels is None else list(labels.shape)
            raise ValueError(f"this generator is conditioned on {self.c_dim} classes: map() needs one class index "
                             f"per z ([{len(z)}]), got {got}")
        return one_hot(labels.to(z.device), self.c_dim).to(z.dtype)

    def synthesize(self, w: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        """Images [N, C, H, W], nominally in [-1, 1] (not clamped: the walk's `clamp` decides),
        of W latents [N, w_dim] (one w for every layer) or W+ latents [N, num_ws, w_dim]."""
        return self.render(self.broadcast(w), noise_mode)

    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        """W latents [N, w_dim] -> [N, num_ws, w_dim] (a view); W+ latents unchanged."""
        if w.dim() == 2 and w.shape[1] == self.w_dim:
            return w.unsqueeze(1).expand(-1, self.num_ws, -1)
        if w.dim() == 3 and w.shape[1:] == (self.num_ws, self.w_dim):
            return w
        raise ValueError(f"latents must be [N, {self.w_dim}] (W) or [N, {self.num_ws}, {self.w_dim}] (W+), "
                         f"got {list(w.shape)}")

    @property
    def device(self) -> torch.device:
        for tensor in (*self.parameters(), *self.buffers()):
            return tensor.device
        return torch.device("cpu")

    def check_data(self, num_classes: int, channels: int, resolution: int, what: str = "the generator") -> None:
        """Raise a ValueError naming each way the generator does not fit the data's images."""
        problems = []
        if self.c_dim not in (0, num_classes):
            problems.append(f"it is conditioned on {self.c_dim} classes but the data has {num_classes} "
                            "(a conditional generator needs one class per data class; 0 = unconditional)")
        if self.img_channels != channels:
            problems.append(f"it makes {self.img_channels}-channel images but the data has {channels} "
                            f"(set data.channels={self.img_channels})")
        if self.img_resolution != resolution:
            problems.append(f"it makes {self.img_resolution} px images but the data is {resolution} px "
                            f"(set data.resolution={self.img_resolution})")
        if problems:
            raise ValueError(f"{what} does not fit the data: " + "; ".join(problems))


def one_hot(labels: torch.Tensor, c_dim: int) -> torch.Tensor | None:
    """Class labels -> the c a StyleGAN-style generator expects (None for an unconditional one)."""
    if c_dim == 0:
        return None
    if labels.min() < 0 or labels.max() >= c_dim:
        raise ValueError(f"labels must lie in [0, {c_dim}), got range [{int(labels.min())}, {int(labels.max())}]")
    return torch.nn.functional.one_hot(labels.long(), c_dim).float()
