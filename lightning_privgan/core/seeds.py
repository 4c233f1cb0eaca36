"""Seed derivation: one experiment seed, a distinct reproducible seed for every consumer."""
from __future__ import annotations

import hashlib


def derive_seed(base_seed: int, *names: object) -> int:
    """A 31-bit seed from the experiment seed and any labels (stage name, rank, epoch...).

    Hashing (rather than adding offsets) keeps seeds of different stages and ranks
    uncorrelated, and stable across Python processes (unlike hash()).
    """
    text = "/".join([str(base_seed), *map(str, names)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") & 0x7FFFFFFF
