"""Callback of GAN training: fixed-latent sample grids and the Fréchet-distance curve.

Both run on global rank 0 only, on G_ema, every `sample_every_kimg` / `fd_every_kimg`
and once more at the end of training.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytorch_lightning as pl
import torch
from torchvision.utils import save_image

from ..pipeline.atomic import atomic_path
from .latent_generator import one_hot
from .fd_encoder import load_offline_encoder, save_offline_encoder, train_offline_encoder
from .frechet import InceptionFeatures, choose_extractor, extract_features, feature_stats, frechet_distance


def kimg_crossed(trainer, module, batch, every: float) -> bool:
    """Whether the batch just trained (all ranks together) crossed a multiple of `every` kimg."""
    after = module.kimg
    before = after - batch[0].shape[0] * trainer.world_size / 1000
    return every > 0 and math.floor(after / every + 1e-9) > math.floor(before / every + 1e-9)


class GANMonitor(pl.Callback):
    def __init__(self, out_dir: str | Path, real_images: torch.Tensor, real_labels: torch.Tensor, patient_ids,
                 *, fd_features: str, inception_weights: str | None, seed: int, console=None):
        self.out_dir = Path(out_dir)
        self.real_images, self.real_labels, self.patient_ids = real_images, real_labels, patient_ids
        self.fd_mode, self.inception_weights, self.seed = fd_features, inception_weights, seed
        self.console = console
        self.extractor = None
        self.extractor_name = ""
        self.real_stats = None

    # ------------------------------------------------------------ set-up
    def _say(self, text: str) -> None:
        if self.console is not None:
            self.console.print(text)

    def _build_extractor(self, module) -> None:
        self.extractor_name = choose_extractor(self.fd_mode, self.inception_weights)
        if self.extractor_name == "inception":
            self.extractor = InceptionFeatures(self.inception_weights).to(module.device)
            self._say(f"[gan] Fréchet distance features: Inception-v3 from {self.inception_weights}")
        else:
            path = self.out_dir / "fd_encoder.pt"
            if path.is_file():  # a resumed run must keep the features of its first FD points
                net = load_offline_encoder(path)
            else:
                net = train_offline_encoder(self.real_images, self.real_labels, self.patient_ids,
                                            epochs=int(module.cfg.fd_encoder_epochs), seed=self.seed)
                save_offline_encoder(net, path)
            self.extractor = net.to(module.device)
            self._say("[gan] Fréchet distance features: offline encoder trained on the real train split "
                      "(no Inception weights; values are not comparable to published FIDs)")
        feats = extract_features(self.extractor, self.real_images, device=module.device)
        self.real_stats = feature_stats(feats)

    def on_fit_start(self, trainer, module) -> None:
        if trainer.is_global_zero and module.cfg.fd_every_kimg > 0:
            self._build_extractor(module)
            if module.nimg == 0:  # the curve starts at the untrained generator: progress is relative to it
                self.record_fd(module)  # (self.log is not allowed in on_fit_start: CSV only)
                self.sample_grid(trainer, module)

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        if not trainer.is_global_zero:
            return
        if kimg_crossed(trainer, module, batch, module.cfg.sample_every_kimg):
            self.sample_grid(trainer, module)
        if kimg_crossed(trainer, module, batch, module.cfg.fd_every_kimg):
            self.record_fd(module, log_metric=True)

    def on_train_end(self, trainer, module) -> None:
        if not trainer.is_global_zero:
            return
        self.sample_grid(trainer, module)
        if module.cfg.fd_every_kimg > 0 and (not module.fd_history or module.fd_history[-1]["kimg"] < module.kimg - 1e-6):
            self.record_fd(module)

    # ---------------------------------------------------------- outputs
    def _labels(self, n: int, seed: int, device) -> torch.Tensor:
        # Class mix of the real data, drawn with a fixed seed: every FD point compares alike.
        gen = torch.Generator().manual_seed(seed)
        return self.real_labels[torch.randint(0, len(self.real_labels), (n,), generator=gen)].to(device)

    @torch.no_grad()
    def generate(self, module, n: int, seed: int, batch: int = 128) -> torch.Tensor:
        G = module.G_ema
        gen = torch.Generator().manual_seed(seed)
        z = torch.randn(n, G.z_dim, generator=gen)
        labels = self._labels(n, seed, "cpu")
        out = []
        for i in range(0, n, batch):
            c = one_hot(labels[i:i + batch], G.c_dim)
            c = None if c is None else c.to(module.device)
            out.append(G(z[i:i + batch].to(module.device), c, noise_mode="const").clamp(-1, 1).float())
        return torch.cat(out)

    def sample_grid(self, trainer, module) -> Path:
        n = int(module.cfg.sample_grid)
        images = self.generate(module, n, self.seed).cpu()
        path = self.out_dir / "samples" / f"kimg{module.kimg:08.2f}.png"
        with atomic_path(path) as tmp:
            save_image((images + 1) / 2, str(tmp), nrow=max(1, int(math.sqrt(n))), format="png")
        for logger in trainer.loggers:
            if hasattr(logger, "log_image"):
                logger.log_image(key="samples", images=[str(path)], step=trainer.global_step)
        return path

    def record_fd(self, module, log_metric: bool = False) -> float:
        if self.extractor is None:
            self._build_extractor(module)
        fakes = self.generate(module, int(module.cfg.fd_num_images), self.seed + 1)
        mu, sigma = feature_stats(extract_features(self.extractor, fakes, device=module.device))
        fd = frechet_distance(mu, sigma, *self.real_stats)
        module.fd_history.append({"kimg": module.kimg, "fd": fd, "extractor": self.extractor_name})
        with atomic_path(self.out_dir / "fd_curve.csv") as tmp:
            pd.DataFrame(module.fd_history, columns=["kimg", "fd", "extractor"]).to_csv(tmp, index=False)
        if log_metric:  # Lightning forbids self.log in on_train_end
            module.log("fd", fd, rank_zero_only=True)
        self._say(f"[gan] kimg {module.kimg:.2f}: FD ({self.extractor_name}) = {fd:.3f}")
        return fd
