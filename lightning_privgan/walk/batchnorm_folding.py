"""Frozen classifiers with each eval-mode BatchNorm folded into the convolution that feeds it.

In eval mode BatchNorm2d is a per-channel affine map y = s·x + t (s = γ/√(var + eps),
t = β − s·mean), so conv → BN equals one conv with weights s·W and bias s·b + t: the same
function up to summation order. The walker pushes every image through φ_id and φ_class
forward and backward; folding drops the BN passes of both (7 % of the demo walk on the
2-core CPU, tiny preset, compact classifiers).

The pairs are found by running the network once: a BN whose input is the very tensor a
Conv2d just returned follows that conv. A folded copy must reproduce the original on that
probe, else the original is used (a conv whose output also feeds something else, say).
"""
from __future__ import annotations

import copy

import torch
from torch import nn


def _conv_bn_pairs(net: nn.Module, probe: torch.Tensor) -> list[tuple[str, str]]:
    """(conv name, bn name) for every BatchNorm2d whose input is a Conv2d's output, seen on `probe`."""
    names = {m: n for n, m in net.named_modules()}
    # Outputs kept alive while probing, so that an id() is never reused by another tensor.
    produced_by: dict[int, tuple[nn.Module, torch.Tensor]] = {}
    pairs: list[tuple[str, str]] = []
    calls: dict[nn.Module, int] = {}

    def hook(module, inputs, output):
        calls[module] = calls.get(module, 0) + 1
        if isinstance(module, nn.Conv2d):
            produced_by[id(output)] = (module, output)
        elif id(inputs[0]) in produced_by and produced_by[id(inputs[0])][1] is inputs[0]:
            pairs.append((names[produced_by[id(inputs[0])][0]], names[module]))

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    try:
        with torch.no_grad():
            net(probe)
    finally:
        for h in handles:
            h.remove()
    # A module called twice (shared weights) could be fed by different tensors each time: leave it.
    return [(c, b) for c, b in pairs if calls[net.get_submodule(c)] == 1 and calls[net.get_submodule(b)] == 1]


def _fold_pair(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps) if bn.affine else torch.rsqrt(bn.running_var + bn.eps)
    shift = (bn.bias if bn.affine else 0) - scale * bn.running_mean
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    with torch.no_grad():
        conv.weight = nn.Parameter(conv.weight * scale.view(-1, 1, 1, 1), requires_grad=False)
        conv.bias = nn.Parameter(bias * scale + shift, requires_grad=False)


def with_batchnorm_folded(net: nn.Module, probe: torch.Tensor) -> nn.Module:
    """A copy of eval-mode `net` with conv → BN pairs folded, or `net` itself when there is
    nothing to fold, it is in training mode, or the folded copy does not match it on `probe`
    (a batch of the images the walker feeds it)."""
    if net.training:
        return net
    pairs = _conv_bn_pairs(net, probe)
    pairs = [(c, b) for c, b in pairs if net.get_submodule(b).track_running_stats]
    if not pairs:
        return net
    folded = copy.deepcopy(net)
    for conv_name, bn_name in pairs:
        _fold_pair(folded.get_submodule(conv_name), folded.get_submodule(bn_name))
        parent, _, leaf = bn_name.rpartition(".")
        setattr(folded.get_submodule(parent) if parent else folded, leaf, nn.Identity())
    with torch.no_grad():
        want, got = net(probe), folded(probe)
    tol = 1e-4 if probe.dtype in (torch.float32, torch.bfloat16, torch.float16) else 1e-9
    if not torch.allclose(got, want, rtol=tol, atol=tol * float(want.abs().max().clamp(min=1.0))):
        return net
    return folded
