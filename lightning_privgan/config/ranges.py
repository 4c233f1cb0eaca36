"""The allowed range of every numeric key of the schema.

A value outside its range is refused before any work (exit 2), naming the key and the
range: a negative kimg or a zero batch size would otherwise pass the type check and fail
late (or, worse, be cached as a finished stage). tests/config/test_ranges.py checks that
every numeric key of the schema has an entry here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: low itself is not allowed
    high_open: bool = False
    optional: bool = False  # null is allowed (and means "not set")

    def contains(self, value) -> bool:
        if value is None:
            return self.optional
        if not math.isfinite(value):  # NaN compares False with every bound; validate.py names it first
            return False
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            return False
        return True

    def describe(self) -> str:
        low = None if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        high = None if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        text = " and ".join(p for p in (low, high) if p)
        return text + (" (or null)" if self.optional else "")


AT_LEAST_0 = Range(0)
AT_LEAST_1 = Range(1)
POSITIVE = Range(0, low_open=True)
FRACTION = Range(0, 1)
OPTIONAL_AT_LEAST_1 = Range(1, optional=True)

_CLASSIFIER = {
    "width": AT_LEAST_1,
    "head_scale": POSITIVE,
    "epochs": AT_LEAST_1,
    "batch_size": AT_LEAST_1,
    "lr": POSITIVE,
    "weight_decay": AT_LEAST_0,
    "seed_offset": AT_LEAST_0,
}

RANGES: dict[str, Range] = {
    "seed": Range(0, 2**31 - 1),
    "data.channels": Range(1, 3),  # exact choices in validate.CHOICES
    "data.resolution": Range(16, 1024),  # and a power of two (validate.py)
    "data.num_classes": Range(2),
    "data.min_side": AT_LEAST_1,
    "data.splits.train": Range(0, 1, low_open=True),
    "data.splits.holdout": FRACTION,
    "data.splits.val": FRACTION,
    "data.splits.test": FRACTION,
    "data.phantom.num_patients": AT_LEAST_1,
    "data.phantom.scans_per_patient": AT_LEAST_1,
    "data.phantom.prevalence": FRACTION,
    "data.augment.rotate_deg": Range(0, 180),
    "data.augment.scale": Range(0, 1, high_open=True),
    "data.augment.translate": FRACTION,
    "data.augment.brightness": FRACTION,
    "data.augment.contrast": FRACTION,
    "data.augment.p": FRACTION,
    "data.batch_size": AT_LEAST_1,
    "data.num_workers": AT_LEAST_0,
    "trainer.devices": AT_LEAST_1,
    "trainer.num_nodes": AT_LEAST_1,
    "trainer.log_every_n_steps": AT_LEAST_1,
    "trainer.parallel_fits": OPTIONAL_AT_LEAST_1,
    "trainer.parallel_stages": OPTIONAL_AT_LEAST_1,
    "gan.z_dim": OPTIONAL_AT_LEAST_1,
    "gan.w_dim": OPTIONAL_AT_LEAST_1,
    "gan.mapping_layers": OPTIONAL_AT_LEAST_1,
    "gan.channel_base": OPTIONAL_AT_LEAST_1,
    "gan.channel_max": OPTIONAL_AT_LEAST_1,
    "gan.kimg": POSITIVE,
    "gan.batch_size": AT_LEAST_1,
    "gan.lr": POSITIVE,
    "gan.betas": Range(0, 1, high_open=True),  # each of the two
    "gan.r1_gamma": AT_LEAST_0,
    "gan.r1_interval": AT_LEAST_1,
    "gan.pl_weight": AT_LEAST_0,
    "gan.pl_interval": AT_LEAST_1,
    "gan.ema_kimg": AT_LEAST_0,
    "gan.ada_target": FRACTION,
    "gan.ada_kimg": POSITIVE,
    "gan.ada_interval": AT_LEAST_1,
    "gan.augment_p": FRACTION,
    "gan.sample_every_kimg": AT_LEAST_0,
    "gan.fd_every_kimg": AT_LEAST_0,
    "gan.checkpoint_every_kimg": AT_LEAST_0,
    "gan.fd_num_images": Range(2),  # a covariance needs two samples
    "gan.fd_encoder_epochs": AT_LEAST_0,
    "gan.sample_grid": AT_LEAST_1,
    "gan.projection.steps": AT_LEAST_1,
    "gan.projection.lr": POSITIVE,
    "gan.projection.batch_size": AT_LEAST_1,
    "gan.projection.feature_weight": AT_LEAST_0,
    **{f"{section}.{key}": r for section in ("identity", "auditor", "classifier") for key, r in _CLASSIFIER.items()},
    "anchors.k": AT_LEAST_1,  # and at most the train images of the smallest class (data_checks.py)
    "anchors.num_random": AT_LEAST_1,
    "anchors.max_uses": AT_LEAST_1,
    "anchors.num_pairs": AT_LEAST_1,
    "anchors.max_images": OPTIONAL_AT_LEAST_1,
    "walk.n_steps": Range(2),  # a path needs its two endpoints
    "walk.optim_steps": AT_LEAST_0,  # 0 = the straight line
    "walk.lr": POSITIVE,
    "walk.lambda_priv": AT_LEAST_0,
    "walk.lambda_eq": AT_LEAST_0,
    "walk.lambda_cls": AT_LEAST_0,
    "walk.memory_budget_mb": Range(0, low_open=True, optional=True),  # null = sized from the device (walk rewrite)
    "walk.early_stop_patience": AT_LEAST_0,
    "walk.early_stop_rel_tol": AT_LEAST_0,
    "walk.pairs_per_chunk": AT_LEAST_1,
    "walk.strip_paths": AT_LEAST_0,
    "stream.samples_per_epoch": AT_LEAST_1,
    "stream.batch_size": AT_LEAST_1,
    "stream.pairs_per_batch": OPTIONAL_AT_LEAST_1,
    "stream.gate_threshold": Range(0, optional=True),
    "stream.num_workers": AT_LEAST_0,
    "downstream.seeds": AT_LEAST_1,
    "downstream.epochs": AT_LEAST_1,
    "downstream.steps": OPTIONAL_AT_LEAST_1,
    "downstream.synthetic_samples": OPTIONAL_AT_LEAST_1,
    "audit.near_duplicate_quantile": FRACTION,
    "audit.samples_per_source": AT_LEAST_1,
    "audit.fd_samples": Range(2, optional=True),
    "audit.kid_subsets": AT_LEAST_1,
    "audit.reid_confidence": FRACTION,
    "audit.shadow_models": AT_LEAST_0,
    "audit.shadow_epochs": OPTIONAL_AT_LEAST_1,
    "audit.path_pairs": AT_LEAST_0,
    "audit.grid_samples": AT_LEAST_0,
    "audit.batch_size": AT_LEAST_1,
    "audit.attack_samples": Range(2),  # the split-bias control halves the non-members
    "audit.attack_resamples": Range(100),  # fewer give no percentile interval worth reading
    "replicate.count": AT_LEAST_1,
    "replicate.index": Range(0, optional=True),
    "replicate.data_seed": Range(0, 2**31 - 1, optional=True),
}
