"""Callback of GAN training: fixed-latent sample grids and the Fréchet-distance curve.

Both run on global rank 0 only, on G_ema, every `sample_every_kimg` / `fd_every_kimg`
and once more at the end of training; the measuring itself is generator_probe.py's.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytorch_lightning as pl

from .generator_probe import GeneratorProbe


def kimg_crossed(trainer, module, batch, every: float) -> bool:
    """Whether the batch just trained (all ranks together) crossed a multiple of `every` kimg."""
    after = module.kimg
    before = after - batch[0].shape[0] * trainer.world_size / 1000
    return every > 0 and math.floor(after / every + 1e-9) > math.floor(before / every + 1e-9)


class GANMonitor(pl.Callback):
    def __init__(self, probe: GeneratorProbe):
        self.probe = probe

    def on_fit_start(self, trainer, module) -> None:
        if trainer.is_global_zero and module.cfg.fd_every_kimg > 0:
            self.probe.build_extractor(module.device)
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

    def sample_grid(self, trainer, module) -> Path:
        path = self.probe.out_dir / "samples" / f"kimg{module.kimg:08.2f}.png"
        self.probe.save_grid(module.G_ema, int(module.cfg.sample_grid), path, module.device)
        for logger in trainer.loggers:
            if hasattr(logger, "log_image"):
                logger.log_image(key="samples", images=[str(path)], step=trainer.global_step)
        return path

    def record_fd(self, module, log_metric: bool = False) -> float:
        fd = self.probe.fd(module.G_ema, int(module.cfg.fd_num_images), module.device)
        module.fd_history.append({"kimg": module.kimg, "fd": fd, "extractor": self.probe.extractor_name})
        self.probe.write_fd_curve(module.fd_history)
        if log_metric:  # Lightning forbids self.log in on_train_end
            module.log("fd", fd, rank_zero_only=True)
        self.probe.say(f"[gan] kimg {module.kimg:.2f}: FD ({self.probe.extractor_name}) = {fd:.3f}")
        return fd
