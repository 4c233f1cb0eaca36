"""NCHW against channels-last (NHWC) for every network step a demo run spends its time in, on this CPU.

    python benchmarks/bench_memory_layout.py [--res 32] [--repeats 5] [--threads 2]

oneDNN, PyTorch's CPU convolution library, computes in a blocked NHWC-like layout; an NCHW
tensor is reordered into it and back on every convolution. This script times, on the demo's
shapes and networks (the `tiny` StyleGAN2 preset, the compact classifier), each step in both
layouts, one after the other in the same process (fresh networks for each), the best of --repeats:
- gan step: one G and one D optimiser step of the non-saturating loss (batch 32; the GAN stage);
- projection step: G forward and backward to w only, as the projector does (batch 512; anchors);
- render: G forward without gradients (batch 64; the stream, the audit, the k-same source);
- classifier step: the compact CNN's forward, backward and Adam step (batch 64; identity,
  auditor, class_guide, downstream, the shadow models);
- walk step: G, then the classifier forward, backward to w (batch 24; the walk).
Prints one Markdown row per step: milliseconds in each layout and the ratio.
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from omegaconf import OmegaConf

from lightning_privgan.config.sections.gan import GANConfig
from lightning_privgan.models.components.image_classifier import ImageClassifier
from lightning_privgan.models.stylegan2.networks import build_gan_networks


def _best_ms(step, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        step()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def _networks(res: int):
    torch.manual_seed(0)
    gan_cfg = OmegaConf.merge(OmegaConf.structured(GANConfig), {"preset": "tiny"})
    G, D = build_gan_networks(gan_cfg, 2, 1, res)
    classifier = ImageClassifier(backbone="compact", in_channels=1, resolution=res, num_classes=2)
    return G, D, classifier


def _steps(G, D, classifier, res: int) -> dict:
    g_opt, d_opt = torch.optim.Adam(G.parameters(), 2e-3), torch.optim.Adam(D.parameters(), 2e-3)
    c_opt = torch.optim.Adam(classifier.parameters(), 1e-3)
    reals, labels = torch.rand(32, 1, res, res) * 2 - 1, torch.arange(32) % 2
    c_images, c_labels = torch.rand(64, 1, res, res) * 2 - 1, torch.arange(64) % 2
    c_onehot = F.one_hot(labels, 2).float()

    def gan_step():
        z = torch.randn(32, G.z_dim)
        fake = G(z, c_onehot)
        g_opt.zero_grad(set_to_none=True)
        F.softplus(-D(fake, c_onehot)).mean().backward()
        g_opt.step()
        d_opt.zero_grad(set_to_none=True)
        (F.softplus(D(fake.detach(), c_onehot)) + F.softplus(-D(reals, c_onehot))).mean().backward()
        d_opt.step()

    def projection_step():
        w = G.w_avg.detach().expand(512, -1).clone().requires_grad_(True)
        G.synthesize(w).square().mean().backward()

    @torch.no_grad()
    def render():
        G.synthesize(G.w_avg.expand(64, -1))

    def classifier_step():
        c_opt.zero_grad(set_to_none=True)
        F.cross_entropy(classifier(c_images), c_labels).backward()
        c_opt.step()

    def walk_step():
        w = G.w_avg.detach().expand(24, -1).clone().requires_grad_(True)
        F.log_softmax(classifier(G.synthesize(w)), 1).mean().backward()

    return {"gan step (batch 32)": gan_step, "projection step (batch 512)": projection_step,
            "render (batch 64)": render, "classifier step (batch 64)": classifier_step,
            "walk step (batch 24)": walk_step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--res", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    timings = {}
    for layout in (torch.contiguous_format, torch.channels_last):
        # Fresh networks per layout, converted before their optimisers exist (as the trainer's
        # ChannelsLast callback does), so the gradients come back in the weights' layout.
        G, D, classifier = (net.to(memory_format=layout) for net in _networks(args.res))
        classifier.train()
        for name, step in _steps(G, D, classifier, args.res).items():
            timings.setdefault(name, []).append(_best_ms(step, args.repeats))
    print(f"{args.res} px, {args.threads} threads, torch {torch.__version__}, best of {args.repeats}")
    print("| step | NCHW, ms | channels-last, ms | NCHW / channels-last |")
    print("| --- | --- | --- | --- |")
    for name, (nchw, nhwc) in timings.items():
        print(f"| {name} | {nchw:.1f} | {nhwc:.1f} | {nchw / nhwc:.2f}× |")


if __name__ == "__main__":
    main()
