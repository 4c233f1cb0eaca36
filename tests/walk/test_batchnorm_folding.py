"""walk/batchnorm_folding.py: conv → BN folded into one conv is the same function, or not done at all."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from lightning_privgan.models.components.image_classifier import ImageClassifier
from lightning_privgan.walk.batchnorm_folding import with_batchnorm_folded
from lightning_privgan.config.sections.walk import WalkConfig
from lightning_privgan.walk.paths import walk
from tests.helpers.fake_networks import single_thread  # noqa: F401

pytestmark = pytest.mark.usefixtures("single_thread")


def _with_trained_statistics(net: nn.Module) -> nn.Module:
    """Fresh BNs are the identity (mean 0, var 1, γ 1, β 0); give them statistics worth folding."""
    g = torch.Generator().manual_seed(0)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g, dtype=m.running_mean.dtype))
            m.running_var.copy_(torch.rand(n, generator=g, dtype=m.running_var.dtype) + 0.5)
            with torch.no_grad():
                m.weight.copy_(torch.randn(n, generator=g, dtype=m.weight.dtype))
                m.bias.copy_(torch.randn(n, generator=g, dtype=m.bias.dtype))
    return net.eval()


def _count_bn(net: nn.Module) -> int:
    return sum(isinstance(m, nn.BatchNorm2d) for m in net.modules())


@pytest.mark.parametrize("backbone,side", [("compact", 16), ("resnet18", 32), ("resnet18", 64)])
def test_folded_classifier_equals_the_original_in_float64(backbone, side):
    net = _with_trained_statistics(ImageClassifier(backbone, 3, side, 5).double())
    images = torch.rand(3, 1, side, side, dtype=torch.float64) * 2 - 1
    probe = images.expand(-1, 3, -1, -1)
    bn_before = _count_bn(net)
    folded = with_batchnorm_folded(net, probe)
    assert bn_before > 0 and _count_bn(folded) == 0  # every BN of these backbones follows a conv
    assert _count_bn(net) == bn_before  # the caller's network is left alone
    other = (torch.rand(4, 1, side, side, dtype=torch.float64) * 2 - 1).expand(-1, 3, -1, -1)
    assert torch.allclose(folded(other), net(other), rtol=1e-12, atol=1e-12)
    # Input gradients too: they are what the walker back-propagates.
    x = other.clone().requires_grad_(True)
    (g_folded,) = torch.autograd.grad(folded(x).square().sum(), x)
    (g_net,) = torch.autograd.grad(net(x).square().sum(), x)
    assert torch.allclose(g_folded, g_net, rtol=1e-10, atol=1e-12)


class ConvFeedsTwo(nn.Module):
    """The conv's output goes to its BN and, unnormalised, to a skip: folding would change the skip."""

    def __init__(self):
        super().__init__()
        self.conv, self.bn, self.head = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.Flatten()

    def forward(self, x):
        y = self.conv(x)
        return self.head(self.bn(y) + y)


def test_a_conv_output_used_elsewhere_is_not_folded():
    net = _with_trained_statistics(ConvFeedsTwo().double())
    probe = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    assert with_batchnorm_folded(net, probe) is net


def test_training_mode_and_bn_free_networks_are_returned_as_they_are():
    net = ImageClassifier("compact", 3, 16, 2).double()
    probe = torch.rand(2, 3, 16, 16, dtype=torch.float64)
    assert with_batchnorm_folded(net.train(), probe) is net
    plain = nn.Sequential(nn.Conv2d(3, 2, 3), nn.Flatten()).double().eval()
    assert with_batchnorm_folded(plain, probe) is plain


def test_walk_with_and_without_folding_agree_in_float64(monkeypatch):
    import lightning_privgan.walk.paths as paths
    from lightning_privgan.models.stylegan2.networks import Generator

    used = []
    monkeypatch.setattr(paths, "with_batchnorm_folded",
                        lambda net, probe: used.append(with_batchnorm_folded(net, probe)) or used[-1])

    torch.manual_seed(0)
    G = Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=16, img_channels=1, mapping_layers=1,
                  channel_base=128, channel_max=8).double().eval()
    id_net = _with_trained_statistics(ImageClassifier("compact", 3, 16, 6, width=8, head="cosine").double())
    class_net = _with_trained_statistics(ImageClassifier("compact", 3, 16, 2, width=8).double())
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(2, 8, generator=g, dtype=torch.float64), torch.randn(2, 8, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 1])
    cfg = WalkConfig(n_steps=6, optim_steps=6, lambda_priv=0.1)
    folded = walk(G, a, b, y, cfg, id_net, class_net, fold_batchnorm=True, progress=False)
    assert len(used) == 2 and all(_count_bn(net) == 0 for net in used)  # the walk ran folded copies
    plain = walk(G, a, b, y, cfg, id_net, class_net, fold_batchnorm=False, progress=False)
    line = walk(G, a, b, y, cfg, method="linear")
    assert (plain - line).abs().max() > 1e-3  # the paths moved
    assert (folded - plain).abs().max() <= 1e-9
    assert _count_bn(id_net) > 0 and _count_bn(class_net) > 0  # the caller's networks keep their BNs
