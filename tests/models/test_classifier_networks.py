"""Backbones, the ImageClassifier contract (differentiable, L2 embed, channel repeat) and standalone export."""
from __future__ import annotations

import pytest
import torch
from torchvision.models import resnet18

from lightning_privgan.models.classifier_io import export_classifier, load_classifier, read_classifier_meta
from lightning_privgan.models.components.backbones import build_backbone, compact_stage_count
from lightning_privgan.models.components.image_classifier import ImageClassifier


# Every size and channel count for the two backbones tests build most; the deeper
# resnets share resnet18's stem code, so two cases each keep the suite fast.
SHAPE_CASES = [(n, r, c) for n in ("compact", "resnet18") for r in (28, 32, 64) for c in (1, 3)] + [
    (n, r, c) for n in ("resnet34", "resnet50") for r, c in ((32, 1), (64, 3))
]


@pytest.mark.parametrize("name,resolution,channels", SHAPE_CASES)
def test_backbone_feature_shapes(name, resolution, channels):
    net, dim = build_backbone(name, channels, resolution, width=8)
    net.eval()
    with torch.no_grad():
        feats = net(torch.randn(2, channels, resolution, resolution))
    assert feats.shape == (2, dim)
    assert dim == {"compact": 64, "resnet18": 512, "resnet34": 512, "resnet50": 2048}[name]


def test_small_resnet_stem_keeps_resolution_large_one_downsamples():
    small, _ = build_backbone("resnet18", 1, 32)
    large, _ = build_backbone("resnet18", 1, 64)
    assert small.conv1.stride == (1, 1) and isinstance(small.maxpool, torch.nn.Identity)
    assert large.conv1.stride == (2, 2) and large.conv1.in_channels == 1


@pytest.mark.parametrize("resolution,side", [(28, 4), (32, 4), (64, 4), (128, 4), (256, 4)])
def test_compact_cnn_ends_on_a_small_map_at_every_resolution(resolution, side):
    """A fixed depth left 8x8 maps of local features at 64 px and φ_id could not re-identify."""
    net, _ = build_backbone("compact", 1, resolution, width=4)
    before_pooling = net.features[:-2](torch.zeros(1, 1, resolution, resolution))
    assert before_pooling.shape[-1] == side
    assert compact_stage_count(32) == 3 and compact_stage_count(64) == 4


def test_unknown_backbone_and_bad_channels_are_named():
    with pytest.raises(ValueError, match="unknown backbone 'vgg'"):
        build_backbone("vgg", 1, 32)
    with pytest.raises(ValueError, match="in_channels must be 1 or 3"):
        build_backbone("compact", 2, 32)


@pytest.mark.parametrize("backbone", ["compact", "resnet18"])
@pytest.mark.parametrize("net_channels,img_channels", [(1, 1), (3, 3), (3, 1)])
def test_gradient_reaches_the_input_image(backbone, net_channels, img_channels):
    model = ImageClassifier(backbone, net_channels, 32, num_classes=5, width=8).eval()
    img = torch.rand(2, img_channels, 32, 32, requires_grad=True) * 2 - 1
    img.retain_grad()
    model(img)[:, 0].sum().backward()
    assert img.grad is not None and img.grad.shape == img.shape
    assert img.grad.abs().sum() > 0


def test_grayscale_into_rgb_network_equals_explicit_repeat():
    model = ImageClassifier("compact", 3, 32, num_classes=3, width=8).eval()
    gray = torch.rand(2, 1, 32, 32) * 2 - 1
    torch.testing.assert_close(model(gray), model(gray.repeat(1, 3, 1, 1)))
    with pytest.raises(ValueError, match="expects 1-channel images but got 3-channel"):
        ImageClassifier("compact", 1, 32, num_classes=3, width=8)(torch.zeros(1, 3, 32, 32))


def test_embed_is_l2_normalised():
    model = ImageClassifier("compact", 1, 28, num_classes=4, width=8).eval()
    emb = model.embed(torch.rand(3, 1, 28, 28) * 2 - 1)
    assert emb.shape == (3, model.feat_dim)
    torch.testing.assert_close(emb.norm(dim=1), torch.ones(3))


def test_export_and_load_round_trip(tmp_path):
    model = ImageClassifier("compact", 3, 32, num_classes=4, width=8)
    model.train()(torch.randn(4, 3, 32, 32))  # move BN running stats away from their init
    model.eval()
    export_classifier(model, tmp_path / "model.pt", meta={"identities": ["a", "b"]})
    loaded = load_classifier(tmp_path / "model.pt")
    assert not loaded.training
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(loaded(x), model(x))
    assert read_classifier_meta(tmp_path / "model.pt") == {"identities": ["a", "b"]}
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_classifier(tmp_path / "missing.pt")
    torch.save({"something": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a classifier exported"):
        load_classifier(tmp_path / "other.pt")


def test_local_weights_file_loads_and_rgb_weights_fit_a_grayscale_stem(tmp_path):
    # A torchvision-style file: 3-channel 7x7 stem and an ImageNet head, as a user would bring.
    source = resnet18(weights=None, num_classes=1000)
    torch.save(source.state_dict(), tmp_path / "r18.pt")
    net, _ = build_backbone("resnet18", 1, 64, weights=tmp_path / "r18.pt")
    torch.testing.assert_close(net.conv1.weight, source.conv1.weight.sum(dim=1, keepdim=True))
    torch.testing.assert_close(net.layer4[1].conv2.weight, source.layer4[1].conv2.weight)


def test_bad_weights_files_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloaded"):
        build_backbone("resnet18", 3, 64, weights=tmp_path / "nope.pt")
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not a readable torch state dict"):
        build_backbone("resnet18", 3, 64, weights=tmp_path / "junk.pt")
    torch.save(resnet18(weights=None).state_dict(), tmp_path / "r18.pt")
    with pytest.raises(ValueError, match="does not match the backbone: missing keys"):
        build_backbone("resnet34", 3, 64, weights=tmp_path / "r18.pt")
    # ImageNet 7x7 stem into the 3x3 small-image stem: a shape mismatch, named.
    with pytest.raises(ValueError, match="shape mismatches conv1.weight"):
        build_backbone("resnet18", 3, 32, weights=tmp_path / "r18.pt")


def test_cosine_head_logits_are_scaled_cosines_and_bounded():
    model = ImageClassifier("compact", 1, 32, num_classes=6, width=4, head="cosine", head_scale=20.0).eval()
    img = torch.rand(3, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        logits = model(img)
        expected = 20.0 * torch.nn.functional.cosine_similarity(
            model.features(img)[:, None], model.head.weight[None], dim=-1
        )
    torch.testing.assert_close(logits, expected, atol=1e-5, rtol=1e-5)
    assert logits.abs().max() <= 20.0 + 1e-4


def test_cosine_head_round_trips_through_export(tmp_path):
    model = ImageClassifier("compact", 1, 32, num_classes=4, width=4, head="cosine", head_scale=12.0).eval()
    export_classifier(model, tmp_path / "m.pt")
    loaded = load_classifier(tmp_path / "m.pt")
    img = torch.rand(2, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(loaded(img), model(img))
    assert loaded.head.scale == 12.0


def test_unknown_head_and_bad_scale_are_named():
    with pytest.raises(ValueError, match="unknown classifier head 'arcface'"):
        ImageClassifier("compact", 1, 32, num_classes=4, head="arcface")
    with pytest.raises(ValueError, match="scale must be positive"):
        ImageClassifier("compact", 1, 32, num_classes=4, head="cosine", head_scale=0.0)


def test_backbone_names_match_the_builders():
    """Validation reads config/choices.py (no torchvision import); the builders must agree with it."""
    from lightning_privgan.config.choices import BACKBONES, RESNETS
    from lightning_privgan.models.components.backbones import _RESNETS

    assert tuple(_RESNETS) == RESNETS and BACKBONES == ("compact", *RESNETS)
