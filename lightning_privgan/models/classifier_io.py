"""Standalone classifier export: `model.pt` = constructor kwargs + state dict (no Lightning, no pickled classes).

Later stages (walker, audit, downstream) load φ_id, φ_audit and φ_class with
`load_classifier(path)` without knowing how they were trained.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..core.atomic import torch_save_atomic
from .components.image_classifier import ImageClassifier

FORMAT = "lightning_privgan.ImageClassifier/1"


def export_classifier(model: ImageClassifier, path: str | Path, meta: dict[str, Any] | None = None) -> None:
    """Write `model` to `path` atomically; `meta` holds plain data (identities, class names...)."""
    payload = {
        "format": FORMAT,
        "kwargs": dict(model.constructor_kwargs),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": dict(meta or {}),
    }
    torch_save_atomic(payload, path)


def read_classifier_meta(path: str | Path) -> dict[str, Any]:
    return _read(path)["meta"]


def _read(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"classifier file {path} does not exist")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a classifier exported by export_classifier (format {FORMAT})")
    return payload


def load_classifier(path: str | Path, map_location: str | torch.device = "cpu") -> ImageClassifier:
    """The exported network, in eval mode, on `map_location`."""
    payload = _read(path)
    model = ImageClassifier(**payload["kwargs"])
    model.load_state_dict(payload["state_dict"])
    return model.to(map_location).eval()
