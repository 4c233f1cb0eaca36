"""What DataLoader workers hand out: batch tickets (pairs sharded over ranks and workers), never images.

The generator, the walk and synthesis run on the training device in the main process
(WalkerDataModule.on_after_batch_transfer): CUDA can't be used in forked workers, and one
copy of G per worker would waste memory. Pairs are sharded by global rank and worker so
that ranks never walk the same pair; every rank yields the same number of batches (DDP
hangs otherwise), whatever the shard sizes.

A batch mixes many paths: its ticket lists `pairs_per_batch` distinct pairs (capped by the
shard), taken from a seeded reshuffle of the shard. Pairs are ordered by class in the walk
stage (classes take turns), so consecutive slices of a fixed order would give every epoch the
same groups of paths; reshuffled cycles give each pair the same share of batches (±1 per cycle).
"""
from __future__ import annotations

import math
from typing import Iterator

import torch
from torch.utils.data import IterableDataset, get_worker_info

from ..core.seeds import derive_seed

FRESH_PAIRS_PER_BATCH = 8  # refresh='fresh' walks every ticket's pairs anew: keep that work per batch small


def batches_per_rank(samples_per_epoch: int, batch_size: int, world_size: int) -> int:
    return max(1, math.ceil(samples_per_epoch / (batch_size * world_size)))


def distinct_pairs_per_batch(stream_cfg) -> int:
    """stream.pairs_per_batch, or its default: one path per sample (cache) or a few walked ones (fresh)."""
    if stream_cfg.pairs_per_batch is not None:
        return int(stream_cfg.pairs_per_batch)
    return int(stream_cfg.batch_size) if stream_cfg.refresh == "cache" else FRESH_PAIRS_PER_BATCH


def pair_shard(num_pairs: int, rank: int, world_size: int, worker: int, num_workers: int) -> list[int]:
    """Pair ids owned by (rank, worker): every (world_size * num_workers)-th id, disjoint across owners."""
    owners = world_size * num_workers
    if num_pairs < owners:
        raise ValueError(f"{num_pairs} pairs cannot be shared among {world_size} ranks x {num_workers} workers: "
                         "every one needs at least one pair (select more pairs or use fewer workers)")
    return list(range(rank * num_workers + worker, num_pairs, owners))


def distinct_batches(shard: list[int], per_batch: int, generator: torch.Generator) -> Iterator[list[int]]:
    """Endless batches of `per_batch` distinct pair ids (per_batch <= len(shard)) from reshuffled
    passes over the shard; at a pass boundary an id already in the batch waits for the next one,
    so no batch repeats a pair and every pair's count stays within one of the others'."""
    if not 1 <= per_batch <= len(shard):
        raise ValueError(f"per_batch must lie in [1, {len(shard)}], got {per_batch}")
    pending: list[int] = []
    while True:
        batch: list[int] = []
        taken: set[int] = set()
        while len(batch) < per_batch:
            j = next((j for j, p in enumerate(pending) if p not in taken), None)
            if j is None:
                pending += [shard[i] for i in torch.randperm(len(shard), generator=generator).tolist()]
                continue
            taken.add(pending[j])
            batch.append(pending.pop(j))
        yield batch


class BatchTickets(IterableDataset):
    """Yields {'index', 'worker', 'pairs'} per batch; the main process turns it into images."""

    def __init__(self, num_pairs: int, num_batches: int, pairs_per_batch: int, rank: int = 0, world_size: int = 1,
                 seed: int = 0):
        self.num_pairs, self.num_batches, self.pairs_per_batch = num_pairs, num_batches, pairs_per_batch
        self.rank, self.world_size, self.seed = rank, world_size, seed
        self.epoch = 0  # counts iterations (one per epoch), in whichever process iterates
        if pairs_per_batch < 1:
            raise ValueError(f"pairs_per_batch must be >= 1, got {pairs_per_batch}")
        pair_shard(num_pairs, rank, world_size, 0, 1)  # fail early, in the main process

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[dict]:
        info = get_worker_info()
        worker, num_workers = (info.id, info.num_workers) if info else (0, 1)
        shard = pair_shard(self.num_pairs, self.rank, self.world_size, worker, num_workers)
        per_batch = min(self.pairs_per_batch, len(shard))
        generator = torch.Generator().manual_seed(derive_seed(self.seed, "tickets", self.rank, worker, self.epoch))
        self.epoch += 1
        batches = distinct_batches(shard, per_batch, generator)
        for index in range(worker, self.num_batches, num_workers):
            pairs = shard if per_batch == len(shard) else next(batches)
            yield {"index": index, "worker": worker, "pairs": torch.tensor(pairs, dtype=torch.long)}
