"""The attacks on the generator itself, once per run: reconstruction through G (GAN-Leaks PBB/WB)
and D's score (LOGAN). No synthetic set is involved, so there is no null control; the
split-bias control (holdout halves) says what the figures read when there is nothing to find.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from torch import nn

from ...config.sections.gan import ProjectionConfig
from ...core.seeds import derive_seed
from ...models.latent_generator import LatentGenerator
from .candidates import AttackCandidates
from .controls import split_bias_figures
from .discriminator_score import discriminator_scores
from .patient_bootstrap import bootstrap_figures
from .reconstruction import reconstruction_scores


def _figures(scores: np.ndarray, cand: AttackCandidates, resamples: int, seed: int) -> dict:
    figures = bootstrap_figures(scores, cand.is_member, cand.patients, resamples, seed)
    split = split_bias_figures(scores[~cand.is_member], cand.nonmember_patients, resamples, seed)
    figures["split_bias"] = {k: v for k, v in split.items() if k != "roc"}
    return figures


def generator_attacks(G: LatentGenerator, D: Optional[nn.Module], cand: AttackCandidates,
                      projection: ProjectionConfig, resamples: int, seed: int,
                      discriminator_note: str = "", say: Callable[[str], None] = lambda _: None) -> dict:
    """{'setup', 'reconstruction': figures, 'discriminator': figures or {'skipped': why}}."""
    out: dict = {"setup": {**cand.setup(), "resamples": int(resamples), "projection_steps": int(projection.steps)}}
    scores = reconstruction_scores(G, cand.images, cand.labels, projection, derive_seed(seed, "projection"))
    out["reconstruction"] = _figures(scores, cand, resamples, derive_seed(seed, "reconstruction"))
    say(f"reconstruction attack on {len(cand.images)} images: AUC {out['reconstruction']['auc']['value']:.3f}")
    if D is None:
        out["discriminator"] = {"skipped": discriminator_note or "no discriminator"}
    else:
        scores = discriminator_scores(D, cand.images, cand.labels)
        out["discriminator"] = {**_figures(scores, cand, resamples, derive_seed(seed, "discriminator")),
                                "note": discriminator_note}
        say(f"discriminator attack: AUC {out['discriminator']['auc']['value']:.3f}")
    return out
