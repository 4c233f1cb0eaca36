"""Generator throughput and memory; GAN training speed in kimg/hour.

    python benchmarks/bench_generator.py [--device cpu|cuda] [--batch 32] [--train-batches 6]

Prints: images/s of G forward+backward and peak memory at 32, 64, 128 px (tiny preset
widths at 32 px, small at 64/128 px), and kimg/hour of a full GANModule training step
(G main, D main, lazy R1, EMA) for the tiny and small presets.
"""
from __future__ import annotations

import argparse
import resource
import time

import torch
from omegaconf import OmegaConf

from lightning_privgan.config.sections.gan import GANConfig
from lightning_privgan.models.gan_module import GANModule
from lightning_privgan.models.latent_generator import one_hot
from lightning_privgan.models.stylegan2.networks import Generator, build_gan_networks


def _cfg(preset: str):
    return OmegaConf.merge(OmegaConf.structured(GANConfig), {"preset": preset})


def _peak_mb(device: str) -> float:
    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process high-water mark (Linux: KiB)


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def bench_generator(preset: str, res: int, batch: int, device: str, iters: int) -> None:
    G = Generator.from_config(_cfg(preset), num_classes=2, channels=1, resolution=res).to(device)
    z = torch.randn(batch, G.z_dim, device=device)
    c = one_hot(torch.randint(0, 2, (batch,), device=device), 2)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for i in range(iters + 1):
        if i == 1:  # first pass = warm-up
            _sync(device)
            start = time.perf_counter()
        G(z, c, noise_mode="random").square().mean().backward()
    _sync(device)
    rate = batch * iters / (time.perf_counter() - start)
    params = sum(p.numel() for p in G.parameters()) / 1e6
    print(f"G fwd+bwd  {preset:5s} {res:4d}px  batch {batch:3d}: {rate:8.1f} img/s  "
          f"peak {_peak_mb(device):7.0f} MB  ({params:.2f} M params)", flush=True)


def bench_training(preset: str, res: int, batch: int, device: str, batches: int) -> None:
    gan = OmegaConf.to_container(_cfg(preset))
    gan.update(batch_size=batch, r1_interval=4)
    module = GANModule(*build_gan_networks(OmegaConf.create(gan), 2, 1, res), gan).to(device)

    class _Trainer:  # the few trainer attributes a training step reads
        world_size = 1

        class strategy:  # noqa: N801
            @staticmethod
            def reduce(t, reduce_op="mean"):
                return t

    module._trainer = _Trainer()
    opts = module.configure_optimizers()
    module.optimizers = lambda: opts
    module.manual_backward = lambda loss: loss.backward()
    module.log = lambda *a, **k: None
    real = torch.rand(batch, 1, res, res, device=device) * 2 - 1
    labels = torch.randint(0, 2, (batch,), device=device)
    for i in range(batches + 1):
        if i == 1:
            _sync(device)
            start = time.perf_counter()
        module.training_step((real, labels), i)
    _sync(device)
    seconds = time.perf_counter() - start
    print(f"training   {preset:5s} {res:4d}px  batch {batch:3d}: {batch * batches / seconds * 3.6:8.2f} kimg/h", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--train-batches", type=int, default=6)
    args = parser.parse_args()
    print(f"device {args.device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    for preset, res in (("tiny", 32), ("small", 64), ("small", 128)):
        bench_generator(preset, res, args.batch, args.device, args.iters)
    for preset, res in (("tiny", 32), ("small", 64)):
        bench_training(preset, res, args.batch, args.device, args.train_batches)


if __name__ == "__main__":
    main()
