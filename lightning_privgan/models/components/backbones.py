"""Feature extractors for the identity, auditor and diagnostic classifiers.

`build_backbone(name, in_channels, resolution)` returns a plain nn.Module mapping
images [N, C, H, W] to features [N, D], and D. Weights are only ever read from a
local file: this project never downloads anything.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torchvision import models as tv_models

from ...config.choices import BACKBONES

# Below this side the ImageNet stem (7x7 stride-2 conv + max-pool) would shrink a
# 32 px image to 8 px before the first residual block and throw away most detail.
SMALL_STEM_BELOW = 64


def _conv_bn_relu(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class CompactCNN(nn.Module):
    """A small, fast CNN: a full-resolution stem, then stride-2 stages down to a ~4x4 map, then global pooling.

    The number of stages follows the input side (3 at 28-32 px, 4 at 64 px, 5 at 128 px).
    With a fixed three stages a 64 px input ends on an 8x8 map whose features each see
    only ~31 px, and global pooling then discards where the anatomy lies: on phantoms that
    cost φ_id its re-identification (0.17 top-1 at 64 px against 1.0 at 32 px).
    """

    def __init__(self, in_channels: int, width: int = 32, resolution: int = 32):
        super().__init__()
        stages = compact_stage_count(resolution)
        layers: list[nn.Module] = [_conv_bn_relu(in_channels, width), _conv_bn_relu(width, width)]
        channels = width
        for stage in range(stages):
            # Width doubles per stage up to 8x: deeper stages at large inputs keep the
            # parameter count (and the walker's backward cost) in check.
            out = width * 2 ** min(stage + 1, 3)
            layers.append(_conv_bn_relu(channels, out, stride=2))
            if stage < stages - 1:
                layers.append(_conv_bn_relu(out, out))
            channels = out
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.out_dim = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


def compact_stage_count(resolution: int) -> int:
    """Stride-2 stages that bring `resolution` down to about 4 px (at least 3)."""
    return max(3, round(math.log2(max(resolution, 1) / 4)))


_RESNETS: dict[str, Callable[..., tv_models.ResNet]] = {  # keys: config/choices.RESNETS (tested)
    "resnet18": tv_models.resnet18,
    "resnet34": tv_models.resnet34,
    "resnet50": tv_models.resnet50,
}


def _resnet(name: str, in_channels: int, resolution: int) -> tuple[nn.Module, int]:
    net = _RESNETS[name](weights=None)
    if resolution < SMALL_STEM_BELOW:
        net.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        net.maxpool = nn.Identity()
    elif in_channels != 3:
        net.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    dim = net.fc.in_features
    net.fc = nn.Identity()  # the classifier head lives in ImageClassifier
    return net, dim


def _adapt_first_conv(state: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """Let RGB weights initialise a grayscale network: sum the first conv over its input channels.

    Summing (not averaging) keeps the response to a gray image equal to the response
    of the RGB network to that image repeated on three channels.
    """
    own = model.state_dict()
    for key, value in state.items():
        target = own.get(key)
        if target is None or value.ndim != 4 or target.ndim != 4:
            continue
        if value.shape[1] == 3 and target.shape[1] == 1 and value.shape[0] == target.shape[0]:
            state[key] = value.sum(dim=1, keepdim=True)
    return state


def load_backbone_weights(model: nn.Module, weights: str | Path) -> None:
    """Load a local state dict into `model`; clear errors for a missing file or mismatched keys/shapes."""
    path = Path(weights)
    if not path.is_file():
        raise FileNotFoundError(f"backbone weights file {path} does not exist (weights are never downloaded)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a corrupt or non-torch file
        raise ValueError(f"backbone weights file {path} is not a readable torch state dict: {err}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"backbone weights file {path} does not hold a state dict of tensors")
    # A torchvision ImageNet checkpoint carries its 1000-class head; ours has none.
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    state = _adapt_first_conv(dict(state), model)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong_shape = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or wrong_shape:
        details = []
        if missing:
            details.append(f"missing keys {missing[:5]}{'...' if len(missing) > 5 else ''}")
        if unexpected:
            details.append(f"unexpected keys {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}")
        if wrong_shape:
            shapes = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}" for k in wrong_shape[:3]]
            details.append("shape mismatches " + "; ".join(shapes))
        raise ValueError(f"backbone weights file {path} does not match the backbone: " + ", ".join(details))
    model.load_state_dict(state)


def build_backbone(
    name: str, in_channels: int, resolution: int, width: int = 32, weights: str | Path | None = None
) -> tuple[nn.Module, int]:
    """(feature extractor [N, C, H, W] -> [N, D], D) for backbone `name`."""
    if in_channels not in (1, 3):
        raise ValueError(f"in_channels must be 1 or 3, got {in_channels}")
    if name == "compact":
        net: nn.Module = CompactCNN(in_channels, width, resolution)
        dim = net.out_dim  # type: ignore[assignment]
    elif name in _RESNETS:
        net, dim = _resnet(name, in_channels, resolution)
    else:
        raise ValueError(f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}")
    if weights:
        load_backbone_weights(net, weights)
    return net, int(dim)
