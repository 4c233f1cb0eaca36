"""Building blocks of the StyleGAN2 generator and discriminator (Karras et al. 2020).

Equalised learning rate everywhere: weights are stored at unit variance and scaled
at run time, so Adam's per-parameter step is the same for every layer width.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# Leaky ReLU with the gain that keeps activations at unit variance (StyleGAN2's 'lrelu').
LRELU_GAIN = math.sqrt(2.0)
# Per-pixel noise of the synthesis layers: drawn per call, the layer's fixed image, or none.
NOISE_MODES = ("random", "const", "none")


def lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.2) * LRELU_GAIN


def normalize_2nd_moment(x: torch.Tensor, dim: int = 1, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.square().mean(dim=dim, keepdim=True) + eps).rsqrt()


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    # Bilinear instead of StyleGAN2's [1,3,3,1] FIR upfirdn: the same low-pass idea,
    # without custom CUDA ops, and fast on CPU.
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def downsample2x(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, 2)


class EqualLinear(nn.Module):
    """Fully connected layer with equalised lr; `lr_multiplier` slows it down (mapping: 0.01)."""

    def __init__(self, in_features: int, out_features: int, bias_init: float = 0.0,
                 lr_multiplier: float = 1.0, activation: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init)))
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)
        return lrelu(x) if self.activation else x


class EqualConv2d(nn.Module):
    """Plain conv with equalised lr (discriminator), optional 2x down-sampling after it."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True,
                 activation: bool = True, down: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.padding = kernel_size // 2
        self.activation = activation
        self.down = down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight * self.weight_gain, self.bias, padding=self.padding)
        if self.down:
            x = downsample2x(x)
        return lrelu(x) if self.activation else x


class ModulatedConv2d(nn.Module):
    """3x3 (or 1x1) convolution whose input channels are scaled by a per-sample style.

    Implemented in the 'non-fused' form (scale activations, shared conv, scale outputs),
    which equals the grouped-conv form mathematically and is much faster on CPU.
    `forward` returns the convolution and the per-sample output scale (demodulation
    coefficients; None without demodulation): the caller folds that scale into its own
    bias/noise addition, one pass over the activations instead of three.
    """

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel_size: int, demodulate: bool = True):
        super().__init__()
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)  # styles start at 1
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.padding = kernel_size // 2
        self.demodulate = demodulate

    def forward(self, x: torch.Tensor, w: torch.Tensor, up: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(conv(upsample?(x * styles)), demodulation coefficients [N, out] or None)."""
        styles = self.affine(w)  # [N, in]
        weight = self.weight * self.weight_gain
        if weight.shape[-1] == 1 and not up:
            # Modulating a 1x1 conv's input equals modulating its weight: a per-sample matrix,
            # one batched matmul and no scaled copy of x.
            x = mix_channels(x, (styles[:, None, :] * weight[:, :, 0, 0]).to(x.dtype))  # matrix [N, out, in]
        else:
            # Bilinear up-sampling is linear per channel, so scaling first touches a quarter of the data.
            x = scale_channels(x, styles.to(x.dtype))
            if up:
                x = upsample2x(x)
            x = F.conv2d(x, weight.to(x.dtype), padding=self.padding)
        if not self.demodulate:
            return x, None
        # Demodulation: divide by the norm the output would have for unit-variance input.
        w2 = weight.square().sum(dim=[2, 3])  # [out, in]
        return x, (styles.square() @ w2.t() + 1e-8).rsqrt()  # [N, out]


class SynthesisLayer(nn.Module):
    """Modulated conv (+ optional 2x up-sampling before it), per-pixel noise, bias, lrelu."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, up: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, w_dim, kernel_size=3)
        self.up = up
        self.resolution = resolution
        # The 'const' noise image is fixed per layer so that G(w) is deterministic
        # (the walker and the projector rely on that); the strength is learned from 0.
        self.register_buffer("noise_const", torch.randn(resolution, resolution))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str) -> torch.Tensor:
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        x, dcoefs = self.conv(x, w, up=self.up)
        # lrelu(y) * gain = lrelu(gain * y) for gain > 0: the gain rides on the small factors,
        # and demodulation, bias and 'const' noise are one addcmul.
        offset = self.bias[:, None, None]
        if noise_mode == "const":
            offset = offset + self.noise_const * self.noise_strength
        x = scale_channels_add(x, (dcoefs * LRELU_GAIN).to(x.dtype), (offset * LRELU_GAIN).to(x.dtype))
        if noise_mode == "random":
            noise = torch.randn(x.shape[0], 1, self.resolution, self.resolution, device=x.device, dtype=x.dtype)
            x = x + noise * (self.noise_strength * LRELU_GAIN)
        return F.leaky_relu(x, 0.2)


class ToRGB(nn.Module):
    """1x1 modulated conv without demodulation: this resolution's contribution to the image."""

    def __init__(self, in_channels: int, img_channels: int, w_dim: int):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, img_channels, w_dim, kernel_size=1, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(img_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w)[0] + self.bias[None, :, None, None].to(x.dtype)


def channels_at(resolution: int, channel_base: int, channel_max: int) -> int:
    """StyleGAN2's width rule: min(channel_base / r, channel_max)."""
    return max(1, min(channel_base // resolution, channel_max))


# Per-sample, per-channel scales of 4-D activations, in the activations' own memory layout.
#
# StyleGAN2's modulation and demodulation multiply every activation by a factor per (sample,
# channel). Written as x * s[:, :, None, None], that broadcast walks a channels_last tensor with
# stride C and runs several times slower on a CPU than on NCHW (0.92 against 0.21 ms for 64 images
# of 32 channels at 32 px, one core). In the NHWC view the factor is the contiguous inner
# dimension, which is the fast case again. NCHW tensors take the plain broadcast.
def _is_nhwc(x: torch.Tensor) -> bool:
    # A tensor with one channel or one pixel is contiguous in both layouts: plain broadcast.
    return x.shape[1] > 1 and x.shape[2] * x.shape[3] > 1 and not x.is_contiguous() \
        and x.is_contiguous(memory_format=torch.channels_last)


def scale_channels(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """x [N, C, H, W] * scale [N, C], in x's layout."""
    if _is_nhwc(x):
        return (x.permute(0, 2, 3, 1) * scale[:, None, None, :]).permute(0, 3, 1, 2)
    return x * scale[:, :, None, None]


def scale_channels_add(x: torch.Tensor, scale: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """x [N, C, H, W] * scale [N, C] + offset [C, H, W] or [C, 1, 1], one pass (addcmul), in x's layout."""
    if _is_nhwc(x):
        # The output takes the layout of the first operand: the (small) offset goes NHWC too.
        return torch.addcmul(offset.permute(1, 2, 0).contiguous(), x.permute(0, 2, 3, 1),
                             scale[:, None, None, :]).permute(0, 3, 1, 2)
    return torch.addcmul(offset, x, scale[:, :, None, None])


def mix_channels(x: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """A per-sample 1x1 convolution: out[n] = matrix[n] @ x[n] over channels; matrix [N, out, C].

    One batched matmul in x's layout, so a modulated 1x1 conv (toRGB) needs no scaled copy
    of its input, and the result keeps x's layout.
    """
    n, c, h, w = x.shape
    if _is_nhwc(x):
        out = torch.bmm(x.permute(0, 2, 3, 1).reshape(n, h * w, c), matrix.transpose(1, 2))
        return out.view(n, h, w, -1).permute(0, 3, 1, 2)
    return torch.bmm(matrix, x.reshape(n, c, h * w)).view(n, -1, h, w)
