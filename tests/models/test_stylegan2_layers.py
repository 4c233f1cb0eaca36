"""Per-sample channel scales in the activations' layout, and the generator that uses them."""
import pytest
import torch

from lightning_privgan.models.stylegan2.layers import mix_channels, scale_channels, scale_channels_add
from lightning_privgan.models.stylegan2.networks import Generator
from lightning_privgan.core.device_settings import channels_last_weights

CL = torch.channels_last


def _inputs(offset_shape):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 4, 6, generator=g, dtype=torch.float64)
    scale = torch.randn(3, 5, generator=g, dtype=torch.float64)
    offset = torch.randn(*offset_shape, generator=g, dtype=torch.float64)
    return x, scale, offset


@pytest.mark.parametrize("layout", [torch.contiguous_format, CL])
@pytest.mark.parametrize("offset_shape", [(5, 4, 6), (5, 1, 1)])
def test_values_gradients_and_layout_match_the_plain_broadcast(layout, offset_shape):
    x, scale, offset = _inputs(offset_shape)
    leaves = [t.clone().requires_grad_(True) for t in (x.contiguous(memory_format=layout), scale, offset)]
    plain = [t.clone().requires_grad_(True) for t in (x, scale, offset)]

    ours = scale_channels_add(scale_channels(leaves[0], leaves[1]), leaves[1], leaves[2])
    ref = (plain[0] * plain[1][:, :, None, None]) * plain[1][:, :, None, None] + plain[2]
    assert torch.allclose(ours, ref, rtol=0, atol=1e-12)
    # The output keeps the input's layout: a flip to NCHW would make every conv after it reorder.
    assert ours.is_contiguous(memory_format=layout)
    g = torch.randn_like(ref)
    for a, b in zip(torch.autograd.grad(ours, leaves, g), torch.autograd.grad(ref, plain, g)):
        assert torch.allclose(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("layout", [torch.contiguous_format, CL])
def test_mix_channels_is_a_per_sample_1x1_convolution(layout):
    x, _, _ = _inputs((1,))
    matrix = torch.randn(3, 2, 5, dtype=torch.float64)
    ours = mix_channels(x.contiguous(memory_format=layout), matrix)
    ref = torch.stack([torch.nn.functional.conv2d(x[n:n + 1], matrix[n][:, :, None, None])[0] for n in range(3)])
    assert torch.allclose(ours, ref, rtol=0, atol=1e-12)
    assert ours.shape == (3, 2, 4, 6)


def _generator(dtype=torch.float64, channels: int = 1):
    torch.manual_seed(0)
    G = Generator(z_dim=16, c_dim=0, w_dim=16, img_resolution=16, img_channels=channels, mapping_layers=2,
                  channel_base=256, channel_max=32).to(dtype)
    with torch.no_grad():  # trained-like: every term of the layer counts
        for name, p in G.named_parameters():
            if name.endswith("noise_strength") or name.endswith(".bias"):
                p.copy_(torch.randn_like(p) * 0.3)
    return G.eval().requires_grad_(False)


@pytest.mark.parametrize("noise_mode", ["const", "none", "random"])
def test_generator_is_the_same_function_in_both_layouts(noise_mode):
    G = _generator()
    w = torch.randn(4, G.w_dim, dtype=torch.float64)
    torch.manual_seed(1)
    nchw = G.synthesize(w, noise_mode=noise_mode)
    with channels_last_weights(G):
        torch.manual_seed(1)
        nhwc = G.synthesize(w, noise_mode=noise_mode)
    assert (nhwc - nchw).abs().max().item() < 1e-12


def test_activations_stay_channels_last_through_the_synthesis():
    G = _generator(torch.float32)
    layouts = []
    hooks = [layer.register_forward_hook(lambda m, i, out: layouts.append(out.is_contiguous(memory_format=CL)))
             for block in G.synthesis.blocks for layer in (getattr(block, "conv0", None), block.conv1) if layer]
    with channels_last_weights(G):
        G.synthesize(torch.randn(4, G.w_dim))
    for h in hooks:
        h.remove()
    assert layouts and all(layouts)


@pytest.mark.parametrize("noise_mode", ["const", "none", "random"])
def test_synthesis_layer_and_torgb_equal_stylegan2s_textbook_formulas(noise_mode):
    """The fused passes (modulation before up-sampling, one addcmul, gain on the factors) compute
    StyleGAN2's layer: lrelu(demod · conv(up(x) · style) + noise + bias) · √2, and toRGB: conv1x1(x · style) + bias."""
    import math

    import torch.nn.functional as F

    from lightning_privgan.models.stylegan2.layers import SynthesisLayer, ToRGB

    torch.manual_seed(0)
    layer, torgb = SynthesisLayer(6, 5, 8, resolution=8, up=True).double(), ToRGB(5, 1, 8).double()
    with torch.no_grad():
        for p in (layer.noise_strength, layer.bias, torgb.bias):
            p.copy_(torch.randn_like(p))
    x, w = torch.randn(3, 6, 4, 4, dtype=torch.float64), torch.randn(3, 8, dtype=torch.float64)

    conv = layer.conv
    styles = conv.affine(w)
    weight = conv.weight * conv.weight_gain
    up = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    y = F.conv2d(up * styles[:, :, None, None], weight, padding=1)
    y = y * ((styles.square() @ weight.square().sum(dim=[2, 3]).t() + 1e-8).rsqrt())[:, :, None, None]
    torch.manual_seed(1)
    if noise_mode == "random":
        y = y + torch.randn(3, 1, 8, 8, dtype=torch.float64) * layer.noise_strength
    elif noise_mode == "const":
        y = y + layer.noise_const * layer.noise_strength
    want = F.leaky_relu(y + layer.bias[None, :, None, None], 0.2) * math.sqrt(2)
    torch.manual_seed(1)
    got = layer(x, w, noise_mode)
    assert (got - want).abs().max().item() < 1e-12

    rgb_styles = torgb.conv.affine(w)
    want_rgb = F.conv2d(got * rgb_styles[:, :, None, None], torgb.conv.weight * torgb.conv.weight_gain) + torgb.bias[None, :, None, None]
    assert (torgb(got, w) - want_rgb).abs().max().item() < 1e-12


def test_batched_rendering_of_a_channels_last_generator_returns_the_nchw_images():
    """The stages load an inference G in NHWC on a CPU (use_channels_last); what they render must be
    the usual contiguous NCHW tensor with the NCHW generator's values (3 channels: NHWC strides differ)."""
    from lightning_privgan.walk.sampling import synthesize

    G = _generator(torch.float32, channels=3)
    w = torch.randn(5, G.w_dim)
    nchw = synthesize(G, w, noise_mode="const", batch=2)
    G.to(memory_format=CL)
    nhwc = synthesize(G, w, noise_mode="const", batch=2)
    assert nhwc.is_contiguous() and nhwc.shape == nchw.shape
    assert torch.allclose(nhwc, nchw, atol=1e-5)
