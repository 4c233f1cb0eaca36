"""Stage `gan`: train the StyleGAN2-ADA generator on the real train split, or import one.

Outputs: generator.pt (G_ema, standalone: models/generator_io.load_generator),
fd_curve.csv (kimg, fd, extractor), samples/*.png, summary.json, checkpoints/last.ckpt.
With gan.pretrained set, the network pickle is imported instead of training: generator.pt
records its copy, generator.pkl, and fd_curve.csv holds one point (kimg 0: none trained here),
measured as training measures its curve; samples/imported.png is its sample grid.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf

from ..core.atomic import write_json_atomic
from ..core.hashing import config_slice
from ..data.real_store import RealData
from ..models.gan_checkpoint import KimgCheckpoint
from ..models.gan_module import GANModule
from ..models.gan_monitor import GANMonitor
from ..models.generator_io import save_generator
from ..models.generator_probe import GeneratorProbe
from ..models.nvidia_generator import NvidiaGenerator
from ..models.stylegan2.networks import build_gan_networks
from ..models.stylegan2.presets import resolve_architecture
from ..pipeline.stage import Stage, StageContext
from ..training.gan_loader import real_train_loader
from ..training.trainer import fit_resumable, make_trainer
from .outputs import GanOutputs


def _ddp_strategy(cfg) -> str:
    # G's parameters take no part in D's phases (and D's none in R1-free G phases):
    # DDP must look for unused parameters, see models/gan_module.py.
    t = cfg.trainer
    if t.devices * t.num_nodes > 1 and t.strategy in ("auto", "ddp"):
        return "ddp_find_unused_parameters_true"
    return t.strategy


def _probe(ctx: StageContext, data: RealData) -> GeneratorProbe:
    train, gan = data.split("train"), ctx.cfg.gan
    return GeneratorProbe(ctx.out, train.images, train.labels, train.patient_ids, fd_features=gan.fd_features,
                          inception_weights=ctx.cfg.audit.inception_weights, fd_encoder_epochs=gan.fd_encoder_epochs,
                          seed=ctx.seed("monitor"), console=ctx.console)


def import_pretrained(ctx: StageContext, data: RealData) -> None:
    """gan.pretrained: the network pickle copied into the stage, checked against the data, measured once."""
    gan = ctx.cfg.gan
    source = Path(gan.pretrained)
    G = NvidiaGenerator.from_pickle(source, expect_sha256=gan.pretrained_sha256)
    G.check_data(data.num_classes, data.channels, data.resolution, what=f"gan.pretrained ({source})")
    save_generator(G, ctx.outputs.path(GanOutputs.GENERATOR))
    ctx.console.print(f"[gan] imported {source}: z {G.z_dim}, w {G.w_dim} x {G.num_ws}, {G.c_dim} classes, "
                      f"{G.img_channels} x {G.img_resolution} px")
    device = ctx.device
    G = G.to(device)
    probe = _probe(ctx, data)
    fd = None
    if gan.fd_every_kimg > 0:  # 0 turns the FD off, for training and import alike
        fd = probe.fd(G, int(gan.fd_num_images), device)
        probe.write_fd_curve([{"kimg": 0.0, "fd": fd, "extractor": probe.extractor_name}])
        probe.say(f"[gan] imported network: FD ({probe.extractor_name}) = {fd:.3f}")
    probe.save_grid(G, int(gan.sample_grid), ctx.outputs.path(GanOutputs.SAMPLES) / "imported.png", device)
    write_json_atomic(ctx.outputs.path("summary.json"), {
        "imported": {"from": str(source.resolve()), "sha256": G.sha256, "copy": "generator.pkl"},
        "kimg": 0.0,
        "fd": fd,
        "fd_extractor": probe.extractor_name or None,
        "architecture": {"z_dim": G.z_dim, "w_dim": G.w_dim, "c_dim": G.c_dim, "img_channels": G.img_channels,
                         "img_resolution": G.img_resolution},
        "num_ws": G.num_ws,
    })


def run(ctx: StageContext) -> None:
    cfg = ctx.cfg
    data = ctx.input("data").real()
    if cfg.gan.pretrained is not None:
        if ctx.is_global_zero:  # nothing to train: the other ranks wait for rank 0's record
            import_pretrained(ctx, data)
        return
    world = cfg.trainer.devices * cfg.trainer.num_nodes
    if cfg.gan.batch_size % world:
        raise ValueError(f"gan.batch_size={cfg.gan.batch_size} is not divisible by the {world} processes")
    train = data.split("train")
    gan_cfg = OmegaConf.to_container(cfg.gan, resolve=True)
    torch.manual_seed(ctx.seed("init"))  # the same initial weights in every process: a run is reproducible
    G, D = build_gan_networks(cfg.gan, data.num_classes, data.channels, data.resolution)
    module = GANModule(G, D, gan_cfg)
    loader = real_train_loader(data, cfg.gan.batch_size // world, cfg.data.num_workers, ctx.seed("loader"),
                               position=lambda: module.batches_done)
    monitor = GANMonitor(_probe(ctx, data))
    cadence = KimgCheckpoint(ctx.outputs.path(GanOutputs.CHECKPOINT), cfg.gan.checkpoint_every_kimg, ctx.seed("batches"))
    # use_distributed_sampler=False: the position sampler shards the batches by rank itself.
    trainer = make_trainer(ctx, callbacks=[monitor, cadence], max_epochs=-1, strategy=_ddp_strategy(cfg),
                           use_distributed_sampler=False)
    ctx.console.print(f"[gan] architecture {resolve_architecture(cfg.gan)} (preset {cfg.gan.preset}), "
                      f"{len(train)} real images, {cfg.gan.kimg} kimg")
    started = time.time()
    pl.seed_everything(ctx.seed("fit") + trainer.global_rank, workers=True)  # per-rank streams of z
    fit_resumable(trainer, module, train_dataloaders=loader)
    if not trainer.is_global_zero:
        return
    save_generator(module.G_ema, ctx.outputs.path(GanOutputs.GENERATOR))
    last_fd = module.fd_history[-1] if module.fd_history else {}
    write_json_atomic(ctx.outputs.path("summary.json"), {
        "kimg": module.kimg,
        "batches": module.batches_done,
        "augment_p": float(module.augment.p),
        "fd": last_fd.get("fd"),
        "fd_extractor": last_fd.get("extractor"),
        "architecture": resolve_architecture(cfg.gan),
        "num_ws": module.G.num_ws,
        "seconds_this_session": round(time.time() - started, 1),
        "resumed_from_kimg": cadence.resumed_from_kimg,
    })


# The config sections the gan stage reads (narrowed by gan_settings; the whole slice is how
# earlier versions hashed it).
GAN_CONFIG_KEYS = ("data", "gan", "audit.inception_weights")

# What the import of a pretrained network reads from the gan section: the file and the one FD
# point and sample grid measured on it. Training settings (kimg, lr, the architecture, ADA)
# play no part in an imported network.
IMPORT_SETTINGS = ("pretrained", "pretrained_sha256", "fd_every_kimg", "fd_num_images", "fd_features",
                   "fd_encoder_epochs", "sample_grid")


def gan_settings(cfg: DictConfig) -> dict:
    """The settings that identify the gan stage's result. gan.projection belongs to the anchors
    stage (it projects real images into this G): changing it must not retrain the GAN."""
    settings = config_slice(cfg, GAN_CONFIG_KEYS)
    gan = settings["gan"]
    del gan["projection"]
    if cfg.gan.pretrained is not None:
        settings["gan"] = {key: gan[key] for key in IMPORT_SETTINGS}
    return settings


STAGE = Stage(
    name="gan",
    run=run,
    needs=("data",),
    config_keys=GAN_CONFIG_KEYS,
    settings=gan_settings,
    description="StyleGAN2-ADA generator on the real train split (G_ema -> generator.pt)",
    distributed=True,  # Lightning training: every rank runs the stage, rank 0 writes
    outputs=GanOutputs,
)
