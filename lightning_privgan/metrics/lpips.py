"""LPIPS (Zhang et al. 2018) from local weights only, as a feature map for pairwise use.

LPIPS(a, b) = Σ_l mean_hw Σ_c w_lc (f̂_a - f̂_b)²  with f̂ the channel-normalised
activations of layer l. Scaling f̂ by sqrt(w_lc / (H_l W_l)) and concatenating the layers
gives a vector Φ with LPIPS(a, b) = ||Φ(a) - Φ(b)||², so the training set is featurised
once and compared with every synthetic image by a plain distance matrix.

Two local files are needed: the linear-layer weights of the `lpips` package
(weights/v0.1/alex.pth or vgg.pth: keys lin{0..4}.model.1.weight) and the torchvision
backbone (alexnet-owt-7be5be79.pth / vgg16-397923af.pth). Without them LPIPS is skipped:
a randomly initialised network gives numbers that look like LPIPS and mean nothing.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

BACKBONE_FILES = {"alex": "alexnet-owt-7be5be79.pth", "vgg": "vgg16-397923af.pth"}
# Slices of torchvision's `features` ending at the ReLUs LPIPS reads (as the lpips package).
SLICES = {"alex": [(0, 2), (2, 5), (5, 8), (8, 10), (10, 12)], "vgg": [(0, 4), (4, 9), (9, 16), (16, 23), (23, 30)]}
# The lpips package's input scaling layer (ImageNet statistics in [-1, 1] units).
SHIFT = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
SCALE = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)
MIN_SIDE = 64  # AlexNet's pooling collapses images below ~64 px to nothing


class LPIPSFeatures(nn.Module):
    """embed(img) -> Φ(img) with LPIPS(a, b) = ||Φ(a) - Φ(b)||²."""

    def __init__(self, net: str, backbone: nn.Sequential, lin_weights: list[torch.Tensor]):
        super().__init__()
        self.net = net
        self.slices = nn.ModuleList(nn.Sequential(*[backbone[i] for i in range(a, b)]) for a, b in SLICES[net])
        for w in lin_weights:
            if (w < 0).any():
                raise ValueError("LPIPS linear weights must be non-negative (are these lpips v0.1 weights?)")
        self.register_buffer("sqrt_w", torch.cat([w.flatten().sqrt() for w in lin_weights]))
        self.channels = [w.numel() for w in lin_weights]
        self.requires_grad_(False)

    @torch.no_grad()
    def embed(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float()
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        if x.shape[-1] < MIN_SIDE:
            x = F.interpolate(x, size=(MIN_SIDE, MIN_SIDE), mode="bilinear", align_corners=False)
        x = (x - SHIFT.to(x)) / SCALE.to(x)
        parts, offset = [], 0
        for block, c in zip(self.slices, self.channels):
            x = block(x)
            unit = x / (x.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            w = self.sqrt_w[offset : offset + c].view(1, c, 1, 1)
            offset += c
            parts.append((unit * w).flatten(1) / (x.shape[-1] * x.shape[-2]) ** 0.5)
        return torch.cat(parts, 1)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Element-wise LPIPS(a[i], b[i])."""
        return (self.embed(a) - self.embed(b)).pow(2).sum(1)


def _default_backbone_path(net: str) -> Path:
    torch_home = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch"))
    return torch_home / "hub" / "checkpoints" / BACKBONE_FILES[net]


def load_lpips(lin_weights_path: Optional[str], backbone_path: Optional[str] = None) -> tuple[Optional[LPIPSFeatures], str]:
    """(network, "") when both weight files are local, else (None, why LPIPS is skipped)."""
    if not lin_weights_path:
        return None, "LPIPS skipped: audit.lpips_weights is not set (no local LPIPS linear weights)"
    if not Path(lin_weights_path).is_file():
        return None, f"LPIPS skipped: audit.lpips_weights={lin_weights_path} does not exist"
    state = torch.load(lin_weights_path, map_location="cpu", weights_only=True)
    try:
        lins = [state[f"lin{i}.model.1.weight"] for i in range(5)]
    except KeyError as err:
        raise ValueError(f"{lin_weights_path} is not an lpips v0.1 weights file (missing {err})") from None
    net = "alex" if lins[1].shape[1] == 192 else "vgg"
    path = Path(backbone_path) if backbone_path else _default_backbone_path(net)
    if not path.is_file():
        return None, f"LPIPS skipped: the {net} backbone weights {path} are not present locally (set audit.lpips_backbone_weights)"
    import torchvision  # only with local backbone weights

    model = torchvision.models.alexnet() if net == "alex" else torchvision.models.vgg16()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return LPIPSFeatures(net, model.features, lins).eval(), ""
