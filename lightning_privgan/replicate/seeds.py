"""Each replicate's seeds, from the base seed and the replicate index.

The rule: replicate r runs with experiment seed

    seed_r = (base + r * STRIDE) mod 2**31,   STRIDE = 1_000_003 (odd)

and every stage then derives its own seeds from seed_r as in any run (derive_seed(seed_r,
stage, ...), pipeline/stage.py): GAN init and data order, φ_id, the auditor (its seed_offset
kept), φ_class, anchor grouping and pairs, the walk's noise, the downstream seeds, the audit's
samples. Collision-free: an odd stride is invertible modulo 2**31, so r -> seed_r is a bijection
and no two replicates (of fewer than 2**31) share a seed. Replicate 0 is the base seed itself:
r00 draws the seeds the run `privgan run EXP` draws. The data stage keeps the base seed in every
replicate (replicate.data_seed, stages/data.py): one set of images, one patient split.
"""
from __future__ import annotations

from .internals import STAGE_ORDER, derive_seed

STRIDE = 1_000_003
MODULUS = 2**31
RULE = "seed_r = (base + r * 1000003) mod 2**31; each stage derives its seeds from seed_r; the data stage keeps the base seed"


def replicate_seed(base: int, index: int) -> int:
    if index < 0:
        raise ValueError(f"replicate index must be >= 0, got {index}")
    return (int(base) + int(index) * STRIDE) % MODULUS


def replicate_folder(index: int) -> str:
    return f"r{index:02d}"


def stage_seeds(seed: int, base: int) -> dict[str, int]:
    """The root seed of every stage of a replicate with experiment seed `seed` (what
    StageContext.seed derives the stage's draws from), the data stage's from `base`."""
    return {stage: derive_seed(base if stage == "data" else seed, stage) for stage in STAGE_ORDER}
