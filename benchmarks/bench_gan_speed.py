"""GAN training speed (s/kimg, kimg/h) and peak memory per device setting, through the real
Lightning Trainer: precision plugin, loss scaler, lazy R1 through ADA (p = 0.2), EMA.

    python benchmarks/bench_gan_speed.py --device cuda --res 64 256 [--batch 32] [--batches 10]
    python benchmarks/bench_gan_speed.py --device cpu --res 16 --batches 2 --variants fp32 bf16-mixed   # smoke

Variants (each adds one setting, so a row's gain is that setting's):
  fp32             32-true, TF32 off, cudnn.benchmark off
  tf32             + TF32 matmuls/convolutions
  tf32+benchmark   + cudnn.benchmark
  16-mixed         + fp16 autocast with loss scaling (regularisers stay fp32)
  bf16-mixed       bf16 autocast instead of fp16
  16-mixed+cl      16-mixed + channels_last
Presets by resolution: 64 px 'small', 256 px 'paper' (stylegan2-ada's paper256 widths),
others 'tiny'. Prints a Markdown table; `--json` writes the rows too.
"""
from __future__ import annotations

import argparse
import gc
import json
import time

import pytorch_lightning as pl
import torch
from omegaconf import OmegaConf
from torch.utils.data import DataLoader, TensorDataset

from lightning_privgan.config.sections.gan import GANConfig
from lightning_privgan.core.device_settings import ChannelsLast, apply_matmul_precision
from lightning_privgan.models.gan_module import GANModule
from lightning_privgan.models.stylegan2.networks import build_gan_networks

VARIANTS = {  # name: (precision, tf32, cudnn.benchmark, channels_last)
    "fp32": ("32-true", False, False, False),
    "tf32": ("32-true", True, False, False),
    "tf32+benchmark": ("32-true", True, True, False),
    "16-mixed": ("16-mixed", True, True, False),
    "bf16-mixed": ("bf16-mixed", True, True, False),
    "16-mixed+cl": ("16-mixed", True, True, True),
}


def preset_for(res: int) -> str:
    return {64: "small", 256: "paper"}.get(res, "tiny")


class _Clock(pl.Callback):
    """Times the batches after `warmup` (cuDNN autotuning, allocator growth, first R1)."""

    def __init__(self, warmup: int, device: str):
        self.warmup, self.device, self.start, self.batches = warmup, device, None, 0

    def _sync(self):
        if self.device == "cuda":
            torch.cuda.synchronize()

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        if batch_idx == self.warmup:
            self._sync()
            if self.device == "cuda":
                torch.cuda.reset_peak_memory_stats()
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if batch_idx >= self.warmup:
            self.batches += 1

    def seconds(self) -> float:
        self._sync()
        return time.perf_counter() - self.start


def run_variant(name: str, res: int, batch: int, batches: int, warmup: int, device: str, channels: int = 3) -> dict:
    precision, tf32, benchmark, channels_last = VARIANTS[name]
    apply_matmul_precision(tf32)
    gan = OmegaConf.to_container(OmegaConf.merge(OmegaConf.structured(GANConfig), {
        "preset": preset_for(res), "batch_size": batch, "kimg": batch * (warmup + batches) / 1000,
        "augment_p": 0.2, "r1_interval": 16, "fd_every_kimg": 0, "sample_every_kimg": 0}))
    torch.manual_seed(0)
    module = GANModule(*build_gan_networks(OmegaConf.create(gan), 2, channels, res), gan)
    images = torch.rand(batch * (warmup + batches), channels, res, res) * 2 - 1
    loader = DataLoader(TensorDataset(images, torch.arange(len(images)) % 2), batch_size=batch, drop_last=True,
                        pin_memory=device == "cuda")
    clock = _Clock(warmup, device)
    trainer = pl.Trainer(accelerator="gpu" if device == "cuda" else "cpu", devices=1, precision=precision,
                         benchmark=benchmark, max_epochs=-1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         callbacks=[clock, *([ChannelsLast()] if channels_last else [])])
    trainer.fit(module, train_dataloaders=loader)
    seconds = clock.seconds()
    s_per_kimg = seconds / (clock.batches * batch / 1000)
    row = {"variant": name, "res": res, "preset": preset_for(res), "batch": batch, "s_per_kimg": s_per_kimg,
           "kimg_per_h": 3600 / s_per_kimg, "finite": all(torch.isfinite(p).all().item() for p in module.parameters())}
    if device == "cuda":
        row["peak_gb"] = torch.cuda.max_memory_allocated() / 2**30
    del trainer, module, loader, images  # free this variant's memory before the next one is measured
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--res", type=int, nargs="+", help="default: 64 256 on CUDA, 32 on CPU")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--batches", type=int, default=10, help="timed batches per variant")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS),
                        help="default: all on CUDA; fp32 and bf16-mixed on CPU (TF32, cudnn, fp16 are CUDA's)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    cuda = args.device == "cuda"
    args.res = args.res or ([64, 256] if cuda else [32])
    args.variants = args.variants or (list(VARIANTS) if cuda else ["fp32", "bf16-mixed"])
    name = torch.cuda.get_device_name() if args.device == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    rows = []
    for res in args.res:
        for variant in args.variants:
            rows.append(run_variant(variant, res, args.batch, args.batches, args.warmup, args.device))
            r = rows[-1]
            print(f"{res} px {variant}: {r['s_per_kimg']:.2f} s/kimg", flush=True)
    print(f"\nGAN training on {name}, torch {torch.__version__}, batch {args.batch}, ADA p=0.2, lazy R1 every 16")
    print("| res | preset | variant | s/kimg | kimg/h | peak GB | params finite |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        peak = f"{r['peak_gb']:.1f}" if "peak_gb" in r else "-"
        print(f"| {r['res']} | {r['preset']} | {r['variant']} | {r['s_per_kimg']:.2f} | {r['kimg_per_h']:.0f} | {peak} | "
              f"{'yes' if r['finite'] else 'NO'} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": name, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
