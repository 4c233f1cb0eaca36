"""A small PLAN stream data module on stand-in networks."""
from __future__ import annotations

import torch
from omegaconf import OmegaConf

from lightning_privgan.config.sections.walk import WalkConfig
from lightning_privgan.walk.datamodule import WalkerDataModule
from tests.helpers.fake_networks import fake_trio


def make_dm(seed=0, gate=None, paths=None, method="plan", **cfg):
    G, id_net, class_net = fake_trio()
    g = torch.Generator().manual_seed(5)
    anchor_w = torch.randn(8, G.w_dim, generator=g)
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    pairs = torch.tensor([[0, 1], [2, 3], [4, 5], [6, 7], [0, 2], [5, 7]])
    return WalkerDataModule(G, anchor_w, labels, pairs, stream_cfg(**cfg), WALK, seed, method=method, id_net=id_net,
                            class_net=class_net, paths=paths, gate=gate)


WALK = WalkConfig(n_steps=5, optim_steps=2, lr=0.05, lambda_priv=0.1, memory_budget_mb=64)


def stream_cfg(**kw):
    base = dict(samples_per_epoch=32, batch_size=8, pairs_per_batch=2, refresh="cache", interpolate=True,
                gate_threshold=None, num_workers=0, autocast="none")
    return OmegaConf.create({**base, **kw})
