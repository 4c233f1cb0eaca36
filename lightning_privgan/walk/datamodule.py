"""WalkerDataModule: an endless supply of synthetic (image, label) batches made on the training device.

Workers yield batch tickets (stream_sharding.py: pairs sharded over ranks and workers). The
module turns a ticket into images in
`on_after_batch_transfer`, i.e. in the main process, on the device, after Lightning moved
the ticket there: paths for the ticket's pairs are taken from the cache or optimised, points
are sampled on them with a seed that mixes the experiment seed, epoch, global rank, worker
and batch index, and G renders them. Any LightningModule whose training_step takes
(images, labels) trains on it through a plain Trainer.fit.

stream.autocast ('bf16' | 'fp16') renders in that type (where a CPU computes it natively:
G's render of a batch 2.2x faster on an AMX CPU); the images handed on are float32.

refresh='cache': a pair's path is optimised once (or given, e.g. the walk stage's paths.pt)
and reused with new sampling points every epoch. refresh='fresh': paths are optimised anew
for every batch (no path memory; different only when noise_mode='random').
"""
from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ..core.device_settings import autocast_dtype, render_autocast
from ..core.seeds import derive_seed
from ..data.transforms import augment_images
from ..models.latent_generator import LatentGenerator
from .gate import PrivacyGate
from .paths import folded_classifiers, walk
from .sampling import sample_latents, synthesize
from .stream_sharding import BatchTickets, batches_per_rank, distinct_pairs_per_batch

MAX_GATE_ROUNDS = 20


def _how_chosen(gate: PrivacyGate) -> str:
    return "" if gate.setting is None else f"; {gate.setting.source}"


class WalkerDataModule(pl.LightningDataModule):
    def __init__(self, G: LatentGenerator, anchor_w: torch.Tensor, anchor_labels: torch.Tensor, pairs: torch.Tensor,
                 stream_cfg, walk_cfg, seed: int, method: str = "plan", id_net: nn.Module | None = None,
                 class_net: nn.Module | None = None, paths: torch.Tensor | None = None,
                 gate: PrivacyGate | None = None, val_dataset: Dataset | None = None,
                 train_transform=None) -> None:
        super().__init__()
        if paths is not None and len(paths) != len(pairs):
            raise ValueError(f"{len(paths)} precomputed paths for {len(pairs)} pairs")
        if stream_cfg.refresh not in ("cache", "fresh"):
            raise ValueError(f"stream.refresh must be 'cache' or 'fresh', got {stream_cfg.refresh!r}")
        self.G, self.id_net, self.class_net = G, id_net, class_net
        self.anchor_w, self.pairs = anchor_w.detach().cpu(), pairs.long().cpu()
        self.pair_labels = anchor_labels.long().cpu()[self.pairs[:, 0]]
        self.cfg, self.walk_cfg, self.seed, self.method = stream_cfg, walk_cfg, seed, method
        self.gate, self.val_dataset = gate, val_dataset
        # Training augmentation (data/transforms.build_train_transform), applied to training
        # batches only, after the gate: the gate screens what is released, augmentation is jitter.
        self.train_transform = train_transform
        self._cache: dict[int, torch.Tensor] = {} if paths is None else {i: p for i, p in enumerate(paths.cpu())}
        self._folded: dict[torch.device, tuple[nn.Module, nn.Module]] = {}
        self.rank, self.world_size = 0, 1
        self.served_pairs: set[int] = set()
        self.batches_made = 0
        self.rejected = self.drawn = 0

    def setup(self, stage: str | None = None) -> None:
        if self.trainer is not None:
            self.rank, self.world_size = self.trainer.global_rank, self.trainer.world_size

    def train_dataloader(self) -> DataLoader:
        tickets = BatchTickets(len(self.pairs), batches_per_rank(self.cfg.samples_per_epoch, self.cfg.batch_size,
                               self.world_size), distinct_pairs_per_batch(self.cfg), self.rank, self.world_size,
                               seed=self.seed)
        return DataLoader(tickets, batch_size=None, num_workers=self.cfg.num_workers,
                          persistent_workers=self.cfg.num_workers > 0)

    def val_dataloader(self):
        if self.val_dataset is None:
            return []
        return DataLoader(self.val_dataset, batch_size=self.cfg.batch_size, shuffle=False)

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        if isinstance(batch, dict) and "pairs" in batch:
            epoch = self.trainer.current_epoch if self.trainer is not None else 0
            images, labels = self.make_batch(batch, epoch)
            if self.train_transform is not None:
                seed = derive_seed(self.seed, "augment", epoch, self.rank, int(batch["worker"]), int(batch["index"]))
                images = augment_images(images, self.train_transform, seed)
            return images, labels
        return batch

    # The part below is usable without a Trainer (benchmarks, the export of a finite set).
    def _paths(self, pair_ids: list[int], device: torch.device) -> torch.Tensor:
        todo = pair_ids if self.cfg.refresh == "fresh" else [i for i in pair_ids if i not in self._cache]
        fresh: dict[int, torch.Tensor] = {}
        if todo:
            ids = torch.tensor(todo)
            w = self.anchor_w.to(device)
            id_net, class_net = self.id_net, self.class_net
            if self.method == "plan":
                id_net, class_net = self._folded_nets(w[self.pairs[ids[:2], 0]], device)
            with torch.enable_grad():
                found = walk(self.G, w[self.pairs[ids, 0]], w[self.pairs[ids, 1]], self.pair_labels[ids].to(device),
                             self.walk_cfg, id_net, class_net, method=self.method, fold_batchnorm=False, progress=False)
            fresh = dict(zip(todo, found.detach()))
            if self.cfg.refresh == "cache":
                self._cache.update({i: p.cpu() for i, p in fresh.items()})
        return torch.stack([fresh[i] if i in fresh else self._cache[i].to(device) for i in pair_ids])

    def _folded_nets(self, probe_w: torch.Tensor, device: torch.device) -> tuple[nn.Module, nn.Module]:
        """φ_id and φ_class with BatchNorm folded (walk/batchnorm_folding.py), made once per device:
        the stream walks every batch, and folding copies and probes both networks."""
        if device not in self._folded:
            self._folded[device] = folded_classifiers(self.G, self.id_net, self.class_net, probe_w)
        return self._folded[device]

    @torch.no_grad()
    def make_batch(self, ticket: dict, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        device = ticket["pairs"].device
        self.G.to(device)
        for net in (self.id_net, self.class_net):
            if net is not None:
                net.to(device)
        pair_ids = ticket["pairs"].tolist()
        paths = self._paths(pair_ids, device)
        labels = self.pair_labels[pair_ids].to(device)
        generator = torch.Generator().manual_seed(
            derive_seed(self.seed, "stream", epoch, self.rank, int(ticket["worker"]), int(ticket["index"])))
        want = self.cfg.batch_size
        kept_images, kept_labels = [], []
        for _ in range(MAX_GATE_ROUNDS):
            w, local, _ = sample_latents(paths, want, generator, self.cfg.interpolate)
            images = self._render(w, want)
            if self.gate is not None:
                keep = self.gate.keep(images)
                self.drawn += len(keep)
                self._count_rejected(int((~keep).sum()))
                images, local = images[keep], local[keep.cpu()]
            kept_images.append(images)
            kept_labels.append(labels[local.to(device)])
            want -= len(images)
            if want <= 0:
                break
        else:
            raise RuntimeError(f"the privacy gate rejected {self.rejected} of the {self.drawn} {self.method} samples drawn "
                               f"so far and could not fill a batch in {MAX_GATE_ROUNDS} rounds: almost no point of "
                               f"these paths lies farther from every training image than the gate's threshold "
                               f"({self.gate.threshold:.4g}, auditor distance{_how_chosen(self.gate)}). A release "
                               "from them would be refused too; the audit's near-duplicate rates say how close they lie")
        self.served_pairs.update(pair_ids)
        self.batches_made += 1
        n = self.cfg.batch_size
        return torch.cat(kept_images)[:n], torch.cat(kept_labels)[:n]

    def _render(self, w: torch.Tensor, batch: int) -> torch.Tensor:
        """G's images of latents w, in the stream's autocast type (stream.autocast), handed on in w's dtype."""
        # the fallback warning is said once per process (core/device_settings), so resolving per batch is free
        with render_autocast(w.device, autocast_dtype("stream.autocast", str(self.cfg.autocast), w.device)):
            images = synthesize(self.G, w, noise_mode=self.walk_cfg.noise_mode, batch=batch)
        return images.to(w.dtype)

    def _count_rejected(self, count: int) -> None:
        self.rejected += count
        trainer = self.trainer
        if trainer is not None and count:
            for logger in trainer.loggers:
                logger.log_metrics({"stream/rejected_total": self.rejected}, step=trainer.global_step)
