"""The discriminator of a trained GAN, from the gan stage's checkpoint (checkpoints/last.ckpt).

generator.pt holds G_ema only; D lives in the Lightning checkpoint beside the optimisers.
Its architecture is rebuilt from the checkpoint's own hyperparameters (the gan section and
G's constructor arguments), so no config is needed. The checkpoint is written on the kimg
cadence (models/gan_checkpoint.py): D is the one of its last write, whose kimg is returned.
"""
from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import OmegaConf

from .stylegan2.networks import Discriminator
from .stylegan2.presets import resolve_architecture


def load_discriminator(path: str | Path, device: str | torch.device = "cpu") -> tuple[Discriminator, float]:
    """(D in eval mode without gradients, the kimg at which the checkpoint was written)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"GAN checkpoint {path} does not exist")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    hparams = blob.get("hyper_parameters") if isinstance(blob, dict) else None
    if not hparams or "gan" not in hparams or "generator" not in hparams:
        raise ValueError(f"{path} is not a checkpoint of the gan stage (no gan / generator hyperparameters)")
    g, arch = hparams["generator"], resolve_architecture(OmegaConf.create(hparams["gan"]))
    # D is conditioned on the classes G is (the gan stage builds both from one gan section).
    D = Discriminator(int(g["c_dim"]), int(g["img_resolution"]), int(g["img_channels"]),
                      channel_base=arch["channel_base"], channel_max=arch["channel_max"])
    state = {k[2:]: v for k, v in blob["state_dict"].items() if k.startswith("D.")}
    D.load_state_dict(state)
    kimg = float(blob.get("gan_progress", {}).get("kimg", float("nan")))
    return D.to(device).eval().requires_grad_(False), kimg
