"""What DataLoader workers hand out: batch tickets (indices and pair ids), never images.

The generator, the walk and synthesis run on the training device in the main process
(WalkerDataModule.on_after_batch_transfer): CUDA can't be used in forked workers, and one
copy of G per worker would waste memory. Pairs are sharded by global rank and worker so
that ranks never walk the same pair; every rank yields the same number of batches (DDP
hangs otherwise), whatever the shard sizes.
"""
from __future__ import annotations

import math
from typing import Iterator

import torch
from torch.utils.data import IterableDataset, get_worker_info


def batches_per_rank(samples_per_epoch: int, batch_size: int, world_size: int) -> int:
    return max(1, math.ceil(samples_per_epoch / (batch_size * world_size)))


def pair_shard(num_pairs: int, rank: int, world_size: int, worker: int, num_workers: int) -> list[int]:
    """Pair ids owned by (rank, worker): every (world_size * num_workers)-th id, disjoint across owners."""
    owners = world_size * num_workers
    if num_pairs < owners:
        raise ValueError(f"{num_pairs} pairs cannot be shared among {world_size} ranks x {num_workers} workers: "
                         "every one needs at least one pair (select more pairs or use fewer workers)")
    return list(range(rank * num_workers + worker, num_pairs, owners))


class BatchTickets(IterableDataset):
    """Yields {'index', 'worker', 'pairs'} per batch; the main process turns it into images."""

    def __init__(self, num_pairs: int, num_batches: int, pairs_per_batch: int, rank: int = 0, world_size: int = 1):
        self.num_pairs, self.num_batches, self.pairs_per_batch = num_pairs, num_batches, pairs_per_batch
        self.rank, self.world_size = rank, world_size
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
        # Round robin through the shard: every owned pair is walked equally often.
        for served, index in enumerate(range(worker, self.num_batches, num_workers)):
            first = served * per_batch
            pairs = [shard[(first + t) % len(shard)] for t in range(per_batch)]
            yield {"index": index, "worker": worker, "pairs": torch.tensor(pairs, dtype=torch.long)}
