"""Settings of `privgan replicate`: whole-pipeline replicates of one experiment.

A replicate is an ordinary run folder whose experiment `seed` is the replicate's own
(derived from the base seed and the replicate index, lightning_privgan/replicate/seeds.py),
so every stage that draws randomness draws anew; only the data stage (the decoded images
and the patient split) keeps the base seed and is shared. No stage hashes this section:
`index` and `data_seed` only record what `privgan replicate` set, and `data_seed` changes
the data stage through its own settings (stages/data.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class ReplicateConfig:
    count: int = field(default=5, metadata={"help": "whole-pipeline replicates `privgan replicate` runs (--replicates N overrides)"})
    index: Optional[int] = field(
        default=None, metadata={"help": "set by privgan replicate: this run's replicate, 0..count-1 (null = a single run)"})
    data_seed: Optional[int] = field(
        default=None,
        metadata={"help": "set by privgan replicate: the data stage's seed (the base seed), so every replicate shares one data stage and split (null = seed)"},
    )
