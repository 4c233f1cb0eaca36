"""The one place where image channels are matched to a network's input.

A grayscale generator feeding an RGB classifier has its channel repeated (the paper's
choice, DESIGN: PLAN objective). `expand` keeps the gradient path for the walker: every
copy sends its gradient back to the one channel.
"""
from __future__ import annotations

import torch
from torch import nn


def expected_channels(net: nn.Module) -> int | None:
    """Input channels a network wants: its `in_channels` attribute, else its first Conv2d's."""
    declared = getattr(net, "in_channels", None)
    if isinstance(declared, int):
        return declared
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            return module.in_channels
    return None


def match_channels(images: torch.Tensor, channels: int | None) -> torch.Tensor:
    """`images` [N, C, H, W] with `channels` channels: unchanged, or grayscale repeated to 3."""
    if images.ndim != 4:
        raise ValueError(f"expected images [N, C, H, W], got shape {tuple(images.shape)}")
    have = images.shape[1]
    if channels is None or channels == have:
        return images
    if have == 1 and channels == 3:
        return images.expand(-1, 3, -1, -1)
    raise ValueError(f"a network expects {channels}-channel images but got {have}-channel ones")
