"""Fixed-latent sample grids and the Fréchet distance of a generator against the real train split.

GAN training's monitor calls it every few kimg, and the import of a pretrained network once,
so that an imported network is measured with the same features, latents and class mix as a
trained one. Features: Inception-v3 when its weights are on disk, else the offline encoder,
trained once on the real train split and kept as fd_encoder.pt (the audit reads it too).
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import torch
from torchvision.utils import save_image

from ..core.atomic import atomic_path
from ..metrics.fd_encoder import load_offline_encoder, save_offline_encoder, train_offline_encoder
from ..metrics.frechet import InceptionFeatures, choose_extractor, extract_features, feature_stats, frechet_distance
from .latent_generator import LatentGenerator

FD_COLUMNS = ["kimg", "fd", "extractor"]


class GeneratorProbe:
    def __init__(self, out_dir: str | Path, real_images: torch.Tensor, real_labels: torch.Tensor, patient_ids, *,
                 fd_features: str, inception_weights: str | None, fd_encoder_epochs: int, seed: int, console=None):
        self.out_dir = Path(out_dir)
        self.real_images, self.real_labels, self.patient_ids = real_images, real_labels, patient_ids
        self.fd_mode, self.inception_weights = fd_features, inception_weights
        self.fd_encoder_epochs, self.seed, self.console = fd_encoder_epochs, seed, console
        self.extractor = None
        self.extractor_name = ""
        self.real_stats = None

    def say(self, text: str) -> None:
        if self.console is not None:
            self.console.print(text)

    def build_extractor(self, device) -> None:
        self.extractor_name = choose_extractor(self.fd_mode, self.inception_weights)
        if self.extractor_name == "inception":
            self.extractor = InceptionFeatures(self.inception_weights).to(device)
            self.say(f"[gan] Fréchet distance features: Inception-v3 from {self.inception_weights}")
        else:
            path = self.out_dir / "fd_encoder.pt"
            if path.is_file():  # a resumed run must keep the features of its first FD points
                net = load_offline_encoder(path)
            else:
                net = train_offline_encoder(self.real_images, self.real_labels, self.patient_ids,
                                            epochs=int(self.fd_encoder_epochs), seed=self.seed)
                save_offline_encoder(net, path)
            self.extractor = net.to(device)
            self.say("[gan] Fréchet distance features: offline encoder trained on the real train split "
                     "(no Inception weights; values are not comparable to published FIDs)")
        self.real_stats = feature_stats(extract_features(self.extractor, self.real_images, device=device))

    def _labels(self, n: int, seed: int) -> torch.Tensor:
        # Class mix of the real data, drawn with a fixed seed: every FD point compares alike.
        gen = torch.Generator().manual_seed(seed)
        return self.real_labels[torch.randint(0, len(self.real_labels), (n,), generator=gen)]

    @torch.no_grad()
    def generate(self, G: LatentGenerator, n: int, seed: int, device, batch: int = 128) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        z = torch.randn(n, G.z_dim, generator=gen)
        labels = self._labels(n, seed)
        out = []
        for i in range(0, n, batch):
            ws = G.map(z[i:i + batch].to(device), labels[i:i + batch].to(device))
            out.append(G.synthesize(ws, noise_mode="const").clamp(-1, 1).float())
        return torch.cat(out)

    def save_grid(self, G: LatentGenerator, n: int, path: Path, device) -> Path:
        images = self.generate(G, n, self.seed, device).cpu()
        with atomic_path(path) as tmp:
            save_image((images + 1) / 2, str(tmp), nrow=max(1, int(math.sqrt(n))), format="png")
        return path

    def fd(self, G: LatentGenerator, n: int, device) -> float:
        if self.extractor is None:
            self.build_extractor(device)
        fakes = self.generate(G, n, self.seed + 1, device)
        mu, sigma = feature_stats(extract_features(self.extractor, fakes, device=device))
        return frechet_distance(mu, sigma, *self.real_stats)

    def write_fd_curve(self, rows: list[dict]) -> Path:
        path = self.out_dir / "fd_curve.csv"
        with atomic_path(path) as tmp:
            pd.DataFrame(rows, columns=FD_COLUMNS).to_csv(tmp, index=False)
        return path
