"""Value checks the type system can't express (finite numbers, choices, ranges, sums, names)."""
from __future__ import annotations

import math
from typing import Callable, Iterator, Union

from omegaconf import DictConfig, OmegaConf

from .choices import AUTOCAST, BACKBONES, DATA_SOURCES, GAN_PRESETS, HEADS
from .errors import ConfigError, where
from .pretrained_network import check_pretrained
from .ranges import RANGES

# A list of choices that has a registry in the library comes from choices.py, which each
# registry is checked against: a new data source, backbone, head or preset is one entry there.
CHOICES = {
    "data.source": DATA_SOURCES,
    "data.channels": (1, 3),
    "data.on_bad_image": ("error", "skip"),
    "gan.preset": GAN_PRESETS,
    "gan.fd_features": ("auto", "inception", "offline"),
    "identity.backbone": BACKBONES,
    "auditor.backbone": BACKBONES,
    "classifier.backbone": BACKBONES,
    "identity.augment": ("none", "standard", "identity"),
    "auditor.augment": ("none", "standard", "identity"),
    "classifier.augment": ("none", "standard", "identity"),
    "identity.head": HEADS,
    "auditor.head": HEADS,
    "classifier.head": HEADS,
    "anchors.method": ("random", "inverted", "ksame"),
    "anchors.pairing": ("random", "nearest"),
    "walk.space": ("w", "w+"),
    "walk.noise_mode": ("const", "random", "none"),
    "stream.refresh": ("fresh", "cache"),
    "logger.wandb.mode": ("offline", "online", "disabled"),
    "walk.autocast": AUTOCAST,
    "gan.projection.autocast": AUTOCAST,
    "stream.autocast": AUTOCAST,
    "trainer.precision": ("32-true", "16-mixed", "bf16-mixed"),
    "audit.path_distance": ("auditor", "ssim", "l2", "lpips"),
}
LIST_CHOICES = {
    "walk.methods": ("linear", "plan"),
    "downstream.sources": ("real", "linear", "plan", "ksame"),
    "audit.distances": ("auditor", "ssim", "l2", "lpips"),
}


def _get(cfg: DictConfig, dotted: str):
    node = cfg
    for part in dotted.split("."):
        node = node[part]
    return node


_ABSENT = object()

# The source of a value: one name, or a function naming the file (or the command line)
# that set a given key last, so that a bad override is not blamed on the experiment file.
Source = Union[str, Callable[..., str]]


def _numbers(node, key: str = "") -> Iterator[tuple[str, float]]:
    """(dotted key, value) of every float in the config, list items under their list's key."""
    if isinstance(node, dict):
        for name, child in node.items():
            yield from _numbers(child, f"{key}.{name}" if key else str(name))
    elif isinstance(node, list):
        for child in node:
            yield from _numbers(child, key)
    elif isinstance(node, float):
        yield key, node


def _check_finite(cfg: DictConfig, fail) -> None:
    # Every key, not only those with a Range: NaN compares False with everything, so it would
    # pass any range check (and walk NaN paths, or train a GAN for kimg=nan forever), and inf
    # passes every open-ended one. No setting means anything by a non-finite number.
    for key, value in _numbers(OmegaConf.to_container(cfg, resolve=True)):
        if not math.isfinite(value):
            fail(key, f"{value!r} is not a finite number (NaN and infinity are refused for every numeric key)")


def _check_run_name(cfg: DictConfig, fail) -> None:
    # The run folder is runs_root/<name>: a separator or '..' would put it (and every file a run
    # writes or deletes) outside the runs root.
    name = cfg.name
    if not name.strip() or name in (".", "..") or any(c in name for c in "/\\\0"):
        fail("name", f"{name!r} is not a plain folder name: the run is written to runs_root/<name>, so the name must "
             "be one folder name, without '/', '\\' or '..' (set runs_root to choose where runs go)")


def _check_ranges(cfg: DictConfig, fail) -> None:
    for key, allowed in RANGES.items():
        value = OmegaConf.select(cfg, key, default=_ABSENT)
        if value is _ABSENT:  # a key of a section another schema version dropped
            continue
        for item in value if OmegaConf.is_list(value) else [value]:
            if isinstance(item, bool) or not allowed.contains(item):
                fail(key, f"{item!r} is outside the allowed range: must be {allowed.describe()}")


def validate_values(cfg: DictConfig, source: Source) -> None:
    def fail(key: str, why: str, *related: str) -> None:
        origin = source(key, *related) if callable(source) else source
        raise ConfigError(f"Configuration error {where(origin)}: key '{key}': {why}.")

    _check_finite(cfg, fail)
    _check_run_name(cfg, fail)
    _check_ranges(cfg, fail)
    check_pretrained(cfg, fail)

    for key, allowed in CHOICES.items():
        value = _get(cfg, key)
        if value not in allowed:
            fail(key, f"{value!r} is not one of {', '.join(map(str, allowed))}")
    for key, allowed in LIST_CHOICES.items():
        for value in _get(cfg, key):
            if value not in allowed:
                fail(key, f"{value!r} is not one of {', '.join(allowed)}")
    res = cfg.data.resolution
    if res & (res - 1):  # 16..1024 is _check_ranges' job
        fail("data.resolution", f"{res} is not a power of two between 16 and 1024")
    if len(cfg.data.class_names) != cfg.data.num_classes:
        fail("data.class_names", f"{len(cfg.data.class_names)} names for data.num_classes={cfg.data.num_classes}",
             "data.num_classes")
    fractions = cfg.data.splits
    total = fractions.train + fractions.holdout + fractions.val + fractions.test
    if abs(total - 1.0) > 1e-6:  # each fraction >= 0 is _check_ranges' job
        fail("data.splits", f"train + holdout + val + test must be non-negative and sum to 1 (they sum to {total:g})")
    ds = cfg.downstream
    if ds.steps is not None and ds.steps % ds.epochs:
        fail("downstream.steps", f"{ds.steps} is not a multiple of downstream.epochs={ds.epochs} (every source "
             "trains steps / epochs optimiser steps between two validation rounds)", "downstream.epochs")
    unwalked = [s for s in cfg.downstream.sources if s in LIST_CHOICES["walk.methods"] and s not in cfg.walk.methods]
    if unwalked:  # the downstream stage could stream them, but privacy_audit reads their saved paths
        fail("downstream.sources", f"{unwalked[0]!r} is a source, but walk.methods={list(cfg.walk.methods)} does not "
             f"compute {unwalked[0]!r} paths, which privacy_audit audits; add it to walk.methods or drop it from "
             "downstream.sources", "walk.methods")
    if cfg.stream.gate_threshold is not None and not cfg.stream.gate:
        fail("stream.gate_threshold", f"{cfg.stream.gate_threshold} is set but stream.gate is false; set stream.gate=true "
             "(or leave gate_threshold null for the audit's calibrated near-duplicate threshold)", "stream.gate")
