"""The identity of a stage's result: its settings and the identity of what it read."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from omegaconf import DictConfig, OmegaConf


def config_slice(cfg: DictConfig, keys: tuple[str, ...]) -> dict:
    # The seed is part of every stage's identity: a different seed is a different result.
    out: dict = {"seed": cfg.seed}
    for key in keys:
        # Dotted keys pick one setting of another section (e.g. audit.inception_weights).
        value = OmegaConf.select(cfg, key, throw_on_missing=True)
        out[key] = OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
    return out


def stage_hash(name: str, settings: dict, input_tokens: dict[str, str]) -> str:
    payload = json.dumps({"stage": name, "settings": settings, "inputs": input_tokens}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (network pickles and releases can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
