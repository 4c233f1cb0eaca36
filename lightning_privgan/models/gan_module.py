"""StyleGAN2-ADA training as a LightningModule (manual optimisation).

Per real batch, the phase table of stylegan2-ada-pytorch:
  G main   non-saturating logistic loss on D(aug(G(z, c)))
  G reg    path-length regularisation every pl_interval batches (when pl_weight > 0)
  D main   logistic loss on fakes and reals
  D reg    R1 on reals every r1_interval batches (lazy: loss x interval, Adam lr and
           betas rescaled by c = interval / (interval + 1))
then G_ema is updated and ADA's p adapted. Progress is counted in kimg by the module
itself (Lightning's global_step counts optimiser steps, several per batch).

DDP: every phase is one manual_backward of one scalar loss. R1's gradient is taken
with autograd.grad w.r.t. the *images* (never the parameters), so DDP's parameter
hooks fire only in that phase's backward, once. The penalty gets `+ logits * 0`
(as stylegan2-ada does) so that every D parameter, even the output bias that R1
does not reach, is in the graph; the network not being trained in a phase has
requires_grad off, which DDP's find_unused_parameters (the stage turns it on) tolerates.

Mixed precision (trainer.precision 16-mixed | bf16-mixed): Lightning runs training_step
under autocast and scales every manual_backward; R1 and path length leave autocast
(see _full_precision), the rest of the phase table is unchanged.

The networks are built outside (models/stylegan2/networks.build_gan_networks from the `gan`
section) and passed in, as lightning-hydra-template passes `net`: the module holds the
training logic only, and G_ema starts as a copy of the G it is given.
"""
from __future__ import annotations

import contextlib
import copy

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from omegaconf import OmegaConf

from ..core.device_settings import cpu_reduced_precision
from .ada_augment import AdaptiveAugment
from .latent_generator import one_hot
from .stylegan2.networks import Discriminator, Generator


def _lazy_adam(params, lr: float, betas, interval: int, lazy: bool) -> torch.optim.Adam:
    # Lazy regularisation makes interval+1 steps per interval batches: shrink lr and
    # momentum so the effective step matches (StyleGAN2, appendix).
    c = interval / (interval + 1) if lazy else 1.0
    return torch.optim.Adam(params, lr=lr * c, betas=(betas[0] ** c, betas[1] ** c), eps=1e-8)


class GANModule(pl.LightningModule):
    def __init__(self, G: Generator, D: Discriminator, gan):
        super().__init__()
        # Plain containers only: checkpoints are loaded with weights_only=True. The networks
        # travel in the state dict; the hyperparameters say what they were built for.
        gan = OmegaConf.to_container(OmegaConf.create(gan), resolve=True)
        self.save_hyperparameters({"gan": gan, "generator": dict(G.init_kwargs)})
        self.automatic_optimization = False
        self.cfg = OmegaConf.create(gan)
        self.G, self.D = G, D
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.augment = AdaptiveAugment(p=self.cfg.augment_p, target=self.cfg.ada_target,
                                       adjust_kimg=self.cfg.ada_kimg, flip=self.cfg.augment_flip)
        self.register_buffer("pl_mean", torch.zeros([]))
        self.nimg = 0  # real images shown to D, all ranks together (an int: no drift in kimg)
        self.batches_done = 0
        self.fd_history: list[dict] = []  # rows of fd_curve.csv, kept in the checkpoint
        self._ada_signs: list[torch.Tensor] = []

    # ---------------------------------------------------------------- helpers
    def _autocast(self):
        if not self.cfg.mixed_precision:
            return contextlib.nullcontext()
        if self.device.type == "cpu" and not cpu_reduced_precision(torch.bfloat16, "gan.mixed_precision=true"):
            return contextlib.nullcontext()  # emulated bf16 is far slower than float32 (pipeline/device_settings.py)
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def _full_precision(self):
        """R1 and path length differentiate twice, and their inner gradient (autograd.grad)
        gets no loss scale: in fp16 it under- or overflows. Under any trainer.precision they
        run in fp32; the outer backward still goes through manual_backward (scaled)."""
        return torch.autocast(self.device.type, enabled=False)

    def _run_D(self, img: torch.Tensor, c) -> torch.Tensor:
        return self.D(self.augment(img), c).float()

    def _fake_labels(self, c_real):
        # Fakes follow the real class distribution: a shuffle of the batch's own labels.
        return None if c_real is None else c_real[torch.randperm(len(c_real), device=c_real.device)]

    def _step(self, opt, loss: torch.Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt.step()

    # --------------------------------------------------------------- training
    def training_step(self, batch, batch_idx: int) -> None:
        real, labels = batch
        n = real.shape[0]
        c_real = one_hot(labels, self.G.c_dim)
        opt_g, opt_d = self.optimizers()
        cfg, idx = self.cfg, self.batches_done

        # G main
        self.G.requires_grad_(True)
        self.D.requires_grad_(False)
        z = torch.randn(n, self.G.z_dim, device=self.device)
        c_gen = self._fake_labels(c_real)
        with self._autocast():
            ws = self.G.mapping(z, c_gen, update_w_avg=True)
            loss_g = F.softplus(-self._run_D(self.G.synthesis(ws, noise_mode="random"), c_gen)).mean()
        self._step(opt_g, loss_g)
        self.log("loss/G", loss_g.detach(), prog_bar=True)

        # G reg: path length (keeps |J_w^T y| constant, smoother W for the walker)
        if cfg.pl_weight > 0 and idx % cfg.pl_interval == 0:
            self._step(opt_g, self._path_length_loss(max(1, n // 2), c_real))

        # D main
        self.G.requires_grad_(False)
        self.D.requires_grad_(True)
        with torch.no_grad():
            c_gen = self._fake_labels(c_real)
            fake = self.G(torch.randn(n, self.G.z_dim, device=self.device), c_gen, noise_mode="random")
        with self._autocast():
            logits_fake = self._run_D(fake, c_gen)
            logits_real = self._run_D(real, c_real)
            loss_d = F.softplus(logits_fake).mean() + F.softplus(-logits_real).mean()
        self._step(opt_d, loss_d)
        self._ada_signs.append(logits_real.detach().sign().mean())
        self.log("loss/D", loss_d.detach(), prog_bar=True)

        # D reg: lazy R1 on reals, in fp32 (its second-order gradients are fragile in bf16/fp16)
        if cfg.r1_gamma > 0 and idx % cfg.r1_interval == 0:
            with self._full_precision():
                real_r = real.detach().float().requires_grad_(True)
                logits = self._run_D(real_r, c_real)
                (grad,) = torch.autograd.grad(logits.sum(), real_r, create_graph=True)
                penalty = grad.square().sum(dim=[1, 2, 3]).mean()
            self._step(opt_d, (penalty * (cfg.r1_gamma / 2) + logits.mean() * 0) * cfg.r1_interval)
            self.log("loss/r1", penalty.detach())

        self._update_ema(n * self.trainer.world_size)
        self.nimg += n * self.trainer.world_size
        self.batches_done += 1
        if cfg.ada_target > 0 and self.batches_done % cfg.ada_interval == 0:
            sign = self.trainer.strategy.reduce(torch.stack(self._ada_signs).mean(), reduce_op="mean")
            self.augment.adjust(float(sign), n * self.trainer.world_size * len(self._ada_signs))
            self._ada_signs.clear()
        self.log("augment/p", self.augment.p)
        self.log("progress/kimg", self.kimg, prog_bar=True)

    def _path_length_loss(self, batch: int, c_real) -> torch.Tensor:
        with self._full_precision():
            return self._path_length_loss_fp32(batch, c_real)

    def _path_length_loss_fp32(self, batch: int, c_real) -> torch.Tensor:
        z = torch.randn(batch, self.G.z_dim, device=self.device)
        c = None if c_real is None else self._fake_labels(c_real)[:batch]
        ws = self.G.mapping(z, c)
        img = self.G.synthesis(ws, noise_mode="random")
        y = torch.randn_like(img) / (img.shape[2] * img.shape[3]) ** 0.5
        (grad,) = torch.autograd.grad((img * y).sum(), ws, create_graph=True)
        lengths = grad.square().sum(2).mean(1).sqrt()
        with torch.no_grad():
            self.pl_mean.copy_(self.pl_mean.lerp(lengths.mean(), 0.01))
        penalty = (lengths - self.pl_mean).square().mean()
        self.log("loss/pl", penalty.detach())
        return (penalty * self.cfg.pl_weight + img[:, 0, 0, 0].mean() * 0) * self.cfg.pl_interval

    @torch.no_grad()
    def _update_ema(self, images: int) -> None:
        beta = 0.5 ** (images / max(self.cfg.ema_kimg * 1000, 1e-8))
        for p_ema, p in zip(self.G_ema.parameters(), self.G.parameters()):
            p_ema.copy_(p.detach().lerp(p_ema, beta))
        # Buffers (w_avg, const noise) are copied, not averaged.
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers()):
            b_ema.copy_(b)

    # ------------------------------------------------------- stopping, state
    @property
    def kimg(self) -> float:
        return self.nimg / 1000

    def on_train_start(self) -> None:
        self._ada_signs = [s.to(self.device) for s in self._ada_signs]  # restored on the CPU
        if self.kimg >= self.cfg.kimg:
            self.trainer.should_stop = True

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        if self.kimg >= self.cfg.kimg - 1e-9:
            self.trainer.should_stop = True

    def configure_optimizers(self):
        cfg = self.cfg
        opt_g = _lazy_adam(self.G.parameters(), cfg.lr, cfg.betas, cfg.pl_interval, lazy=cfg.pl_weight > 0)
        opt_d = _lazy_adam(self.D.parameters(), cfg.lr, cfg.betas, cfg.r1_interval, lazy=cfg.r1_gamma > 0)
        return [opt_g, opt_d]

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["gan_progress"] = {"nimg": self.nimg, "kimg": self.kimg, "batches_done": self.batches_done,
                                      "fd_history": list(self.fd_history),
                                      # signs gathered since ADA's last adjustment: a resumed run adjusts alike
                                      "ada_signs": [float(s) for s in self._ada_signs]}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        progress = checkpoint["gan_progress"]
        self.nimg, self.batches_done = int(progress["nimg"]), int(progress["batches_done"])
        self.fd_history = list(progress["fd_history"])
        self._ada_signs = [torch.tensor(s) for s in progress.get("ada_signs", [])]
