"""Synthetic stream throughput: images/s out of the WalkerDataModule, and a classifier's training
speed when fed by the stream vs by pre-generated tensors of the same images.

Uses the real Generator ('tiny' preset, 32 px) and a compact ImageClassifier. Paths are given
(cache mode, e.g. the walk stage's paths.pt), so the stream's cost is sampling + synthesis;
`--walk-steps N` instead optimises PLAN paths inside the stream (N Adam steps per pair).

    python benchmarks/bench_stream.py [--images 2048] [--batch 64] [--threads 1] [--walk-steps 0]
"""
from __future__ import annotations

import argparse
import time

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from omegaconf import OmegaConf
from torch.utils.data import DataLoader, TensorDataset

from lightning_privgan.walk.datamodule import WalkerDataModule
from lightning_privgan.walk.paths import linear_paths
from paper_reference import paper_walk_config  # benchmarks/ is on sys.path when this script runs


class ClassifierModule(pl.LightningModule):
    def __init__(self, resolution: int) -> None:
        super().__init__()
        from lightning_privgan.models.components.image_classifier import ImageClassifier

        self.net = ImageClassifier("compact", 1, resolution, 2)

    def training_step(self, batch, batch_idx):
        images, labels = batch
        return F.cross_entropy(self.net(images), labels)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)


def build_networks(identities: int = 64):
    """G at the 'tiny' preset (32 px) and compact φ_id / φ_class, as bench_walker.py measures them."""
    from lightning_privgan.models.stylegan2.networks import Generator
    from lightning_privgan.models.components.image_classifier import ImageClassifier
    from lightning_privgan.models.stylegan2.presets import PRESETS

    torch.manual_seed(0)
    G = Generator(c_dim=2, img_resolution=32, img_channels=1, **PRESETS["tiny"]).eval().requires_grad_(False)
    id_net = ImageClassifier("compact", 1, 32, identities).eval().requires_grad_(False)
    class_net = ImageClassifier("compact", 1, 32, 2).eval().requires_grad_(False)
    return G, id_net, class_net


def fit_seconds(module: pl.LightningModule, **fit_kwargs) -> float:
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    start = time.perf_counter()
    trainer.fit(module, **fit_kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--pairs", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--walk-steps", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    G, id_net, class_net = build_networks()
    g = torch.Generator().manual_seed(0)
    anchor_w = torch.randn(2 * args.pairs, G.w_dim, generator=g)
    labels = torch.arange(2).repeat(args.pairs)
    pairs = torch.stack([torch.arange(0, 2 * args.pairs, 2), torch.arange(2, 2 * args.pairs + 2, 2) % (2 * args.pairs)], 1)
    stream = OmegaConf.create(dict(samples_per_epoch=args.images, batch_size=args.batch, pairs_per_batch=8,
                                   refresh="cache", interpolate=True, gate_threshold=None, num_workers=0,
                                   autocast="none"))
    walk = paper_walk_config(16, args.walk_steps, memory_budget_mb=512)
    given = None if args.walk_steps else linear_paths(anchor_w[pairs[:, 0]], anchor_w[pairs[:, 1]], 16)
    dm = WalkerDataModule(G, anchor_w, labels, pairs, stream, walk, seed=0, id_net=id_net, class_net=class_net,
                          paths=given, method="plan" if args.walk_steps else "linear")
    dm.setup("fit")
    start = time.perf_counter()
    batches = [dm.make_batch(t, 0) for t in dm.train_dataloader()]
    stream_s = time.perf_counter() - start
    n = sum(len(x) for x, _ in batches)
    print(f"threads={args.threads} images={n} batch={args.batch} walk_steps={args.walk_steps}")
    print(f"stream alone: {n / stream_s:8.1f} images/s")
    pregenerated = TensorDataset(torch.cat([x for x, _ in batches]), torch.cat([y for _, y in batches]))
    tensor_s = fit_seconds(ClassifierModule(G.img_resolution),
                           train_dataloaders=DataLoader(pregenerated, batch_size=args.batch, shuffle=True))
    dm = WalkerDataModule(G, anchor_w, labels, pairs, stream, walk, seed=0, id_net=id_net, class_net=class_net,
                          paths=given, method="plan" if args.walk_steps else "linear")
    stream_fit_s = fit_seconds(ClassifierModule(G.img_resolution), datamodule=dm)
    print(f"classifier fed by pre-generated tensors: {n / tensor_s:8.1f} images/s")
    print(f"classifier fed by the stream:            {n / stream_fit_s:8.1f} images/s ({stream_fit_s / tensor_s:.2f}x the time)")


if __name__ == "__main__":
    main()
