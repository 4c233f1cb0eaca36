"""Tiny networks that honour the fixed interfaces of DESIGN.md, for the walker's tests and benchmarks.

FakeGenerator: a LatentGenerator with the StyleGAN2-ADA layout (mapping -> ws [N, num_ws, w_dim],
synthesis(ws, noise_mode)), one style per layer so that W+ differs from W. FakeClassifier: forward -> logits, embed -> L2-normalised.
"""
from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn

from lightning_privgan.models.latent_generator import LatentGenerator


class FakeMapping(nn.Module):
    def __init__(self, z_dim: int, c_dim: int, w_dim: int, num_ws: int) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = z_dim, c_dim, w_dim, num_ws
        self.net = nn.Sequential(nn.Linear(z_dim + c_dim, w_dim), nn.LeakyReLU(0.2), nn.Linear(w_dim, w_dim))
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None, truncation_psi: float = 1.0) -> torch.Tensor:
        x = F.normalize(z, dim=1)
        if self.c_dim:
            if c is None:
                raise ValueError("conditional mapping needs c")
            x = torch.cat([x, c.to(x.dtype)], dim=1)
        w = self.net(x)
        w = self.w_avg + truncation_psi * (w - self.w_avg)
        return w.unsqueeze(1).repeat(1, self.num_ws, 1)


class FakeSynthesis(nn.Module):
    """A constant 4x4 map, upsampled; each layer's style scales its channels (modulation)."""

    def __init__(self, w_dim: int, resolution: int, channels: int, width: int) -> None:
        super().__init__()
        self.num_layers = 1
        size = 4
        while size < resolution:
            size *= 2
            self.num_layers += 1
        self.const = nn.Parameter(torch.randn(width, 4, 4))
        self.styles = nn.ModuleList([nn.Linear(w_dim, width) for _ in range(self.num_layers)])
        self.convs = nn.ModuleList([nn.Conv2d(width, width, 3, padding=1) for _ in range(self.num_layers)])
        self.to_img = nn.Conv2d(width, channels, 1)
        with torch.no_grad():  # default inits shrink the signal layer by layer; keep images contrasted
            for conv in self.convs:
                conv.weight.mul_(2.5)
            self.to_img.weight.mul_(3.0)

    def forward(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1)
        for i, (style, conv) in enumerate(zip(self.styles, self.convs)):
            if i > 0:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = conv(x * (1 + style(ws[:, i])).unsqueeze(-1).unsqueeze(-1))
            if noise_mode == "random":
                x = x + 0.05 * torch.randn_like(x)
            x = F.leaky_relu(x, 0.2)
        return torch.tanh(self.to_img(x))


class FakeGenerator(LatentGenerator):
    def __init__(self, resolution: int = 16, channels: int = 1, w_dim: int = 8, z_dim: int = 8,
                 c_dim: int = 2, width: int = 8) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.img_resolution, self.img_channels = resolution, channels
        self.synthesis = FakeSynthesis(w_dim, resolution, channels, width)
        self.num_ws = self.synthesis.num_layers
        self.mapping = FakeMapping(z_dim, c_dim, w_dim, self.num_ws)

    def forward(self, z, c, truncation_psi: float = 1.0, noise_mode: str = "const"):
        return self.synthesis(self.mapping(z, c, truncation_psi), noise_mode=noise_mode)

    def map(self, z, labels=None, truncation_psi: float = 1.0):
        c = F.one_hot(labels.long(), self.c_dim).to(z) if self.c_dim else None
        return self.mapping(z, c, truncation_psi)

    def render(self, ws, noise_mode: str):
        return self.synthesis(ws, noise_mode=noise_mode)

    @property
    def w_avg(self):
        return self.mapping.w_avg


class FakeClassifier(nn.Module):
    def __init__(self, num_classes: int, in_channels: int = 1, width: int = 8) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.head = nn.Linear(4 * width, num_classes)
        with torch.no_grad():  # confident logits, so the walk's terms respond to w
            self.head.weight.mul_(20.0)

    def embed(self, img: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.features(img), dim=1)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(img))


def fake_trio(seed: int = 0, resolution: int = 16, channels: int = 1, num_identities: int = 6,
              num_classes: int = 2, classifier_channels: int | None = None, dtype=torch.float32):
    """(G, φ_id, φ_class), seeded; classifier_channels=3 exercises the grayscale repeat."""
    torch.manual_seed(seed)
    cc = classifier_channels or channels
    G = FakeGenerator(resolution=resolution, channels=channels, c_dim=num_classes).to(dtype).eval()
    id_net = FakeClassifier(num_identities, cc).to(dtype).eval()
    class_net = FakeClassifier(num_classes, cc).to(dtype).eval()
    return G, id_net, class_net


class TinyDiagnosticModule(pl.LightningModule):
    """A DiagnosticClassifier-like LightningModule: training_step on (images, labels)."""

    def __init__(self, num_classes: int = 2, in_channels: int = 1) -> None:
        super().__init__()
        self.net = FakeClassifier(num_classes, in_channels)
        self.seen_batches: list[tuple[torch.Tensor, torch.Tensor]] = []

    def training_step(self, batch, batch_idx):
        images, labels = batch
        self.seen_batches.append((images.detach().cpu(), labels.cpu()))
        loss = F.cross_entropy(self.net(images), labels)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        images, labels = batch
        self.log("val/acc", (self.net(images).argmax(1) == labels).float().mean())

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)


@pytest.fixture
def single_thread():
    """One intra-op thread: these nets are tiny, and on a loaded 2-core machine OpenMP's
    spinning threads made them ~100x slower (measured 7.3 s vs 0.05 s for the same walk)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
