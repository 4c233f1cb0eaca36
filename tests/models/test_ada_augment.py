"""ADA's augmentation: same pixels as the grid_sample formulation it replaced, and an R1
double backward that never goes through grid_sampler (CUDA cannot differentiate its backward)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lightning_privgan.models.ada_augment import AdaptiveAugment, shift_and_flip
from lightning_privgan.models.stylegan2.networks import Discriminator


def _grid_sample_shift(img, shift, flip):
    """The former formulation: nearest grid_sample, reflection padding, align_corners=False."""
    n, _, h, w = img.shape
    theta = torch.eye(2, 3, dtype=img.dtype).repeat(n, 1, 1)
    theta[:, 0, 0] = 1 - 2 * flip.to(img.dtype)
    theta[:, 0, 2] = shift[:, 0] * 2 / w
    theta[:, 1, 2] = shift[:, 1] * 2 / h
    grid = F.affine_grid(theta, list(img.shape), align_corners=False)
    return F.grid_sample(img, grid, mode="nearest", padding_mode="reflection", align_corners=False)


def test_shift_and_flip_picks_the_pixels_of_grid_sample():
    torch.manual_seed(0)
    img = torch.randn(64, 2, 12, 10, dtype=torch.float64)
    # shifts up to 2.5 image sides: several reflections deep
    shift = torch.randint(-25, 26, (64, 2))
    flip = torch.rand(64) < 0.5
    assert torch.equal(shift_and_flip(img, shift, flip), _grid_sample_shift(img, shift, flip))


def _r1_penalty(D, augment, real, seed=0):
    torch.manual_seed(seed)  # the same augmentation draw at every evaluation
    real = real if real.requires_grad else real.requires_grad_(True)
    logits = D(augment(real), None)
    (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    return grad.square().sum(dim=[1, 2, 3]).mean()


def _every_augmentation() -> AdaptiveAugment:
    return AdaptiveAugment(p=1.0, target=0.0, flip=True)


def _graph_node_names(tensor) -> set[str]:
    seen, names, stack = set(), set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        names.add(type(node).__name__)
        stack.extend(fn for fn, _ in node.next_functions)
    return names


def test_r1_double_backward_never_calls_grid_sampler(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("grid_sample has no double backward on CUDA")

    monkeypatch.setattr(F, "grid_sample", refuse)
    monkeypatch.setattr(torch, "grid_sampler", refuse)
    torch.manual_seed(1)
    D = Discriminator(c_dim=0, img_resolution=16, img_channels=3, channel_base=128, channel_max=16)
    penalty = _r1_penalty(D, _every_augmentation(), torch.randn(4, 3, 16, 16))
    names = _graph_node_names(penalty)
    assert not any("GridSampler" in name for name in names)
    assert any("Gather" in name for name in names)  # the augmentation is in the graph
    penalty.backward()  # R1's parameter gradient: the double backward
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in D.blocks.parameters())


def test_r1_gradient_matches_finite_differences_float64():
    torch.manual_seed(2)
    D = Discriminator(c_dim=0, img_resolution=8, img_channels=1, channel_base=32, channel_max=4).double()
    augment = _every_augmentation().double()
    real = torch.randn(4, 1, 8, 8, dtype=torch.float64)
    weight = D.from_rgb.weight

    def penalty(rgb_weight, image):
        # R1's gradient w.r.t. D's parameters (what the optimiser uses) and w.r.t. the image
        params = {"from_rgb.weight": rgb_weight}
        torch.manual_seed(3)
        img = image.clone().requires_grad_(True) if not image.requires_grad else image
        logits = torch.func.functional_call(D, params, (augment(img), None))
        (grad,) = torch.autograd.grad(logits.sum(), img, create_graph=True)
        return grad.square().sum(dim=[1, 2, 3]).mean()

    w0 = weight.detach().clone().requires_grad_(True)
    x0 = real.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(penalty, (w0, x0), eps=1e-6, atol=1e-5, rtol=1e-4)


def test_augmentation_double_backward_gradgradcheck():
    aug = _every_augmentation().double()

    def f(x):
        torch.manual_seed(4)
        return aug(x)

    x = torch.randn(3, 2, 6, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(f, (x,))


@pytest.mark.parametrize("flip", [False, True])
def test_augment_statistics_unchanged(flip):
    """Same seed, same draws: the gather version returns what the grid_sample version did."""
    aug = AdaptiveAugment(p=0.7, flip=flip)
    img = torch.randn(32, 3, 16, 16)
    torch.manual_seed(5)
    out = aug(img)
    torch.manual_seed(5)
    n, _, h, w = img.shape
    mask = lambda: (torch.rand(n) < aug.p).float()  # noqa: E731
    flips = (mask() * torch.randint(0, 2, (n,))) > 0 if flip else torch.zeros(n, dtype=torch.bool)
    shift = torch.round((torch.rand(n, 2) * 2 - 1) * aug.translate * torch.tensor([w, h])) * mask()[:, None]
    ref = _grid_sample_shift(img, shift, flips)
    ref = ref + (torch.randn(n) * aug.brightness_std * mask())[:, None, None, None]
    contrast = torch.exp2(torch.randn(n) * aug.contrast_std * mask())
    mean = ref.mean(dim=[1, 2, 3], keepdim=True)
    ref = (ref - mean) * contrast[:, None, None, None] + mean
    centre = torch.rand(n, 2, 1, 1)
    ys, xs = (torch.arange(h).float() + 0.5) / h, (torch.arange(w).float() + 0.5) / w
    inside = ((xs[None, None, :] - centre[:, 0]).abs() < 0.25) & ((ys[None, :, None] - centre[:, 1]).abs() < 0.25)
    ref = ref * (1 - (inside.float() * mask()[:, None, None])[:, None])
    torch.testing.assert_close(out, ref)
