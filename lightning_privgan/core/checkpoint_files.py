"""Checkpoint files that a crash cannot corrupt, and that a corrupt one cannot block.

Lightning writes a checkpoint in place: a full disk or a kill leaves a truncated
last.ckpt that every later run loads and dies on. Here every checkpoint is written
to a temporary file and renamed, and a checkpoint that does not load is moved aside
(with a warning) so that training restarts instead of failing forever.
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import torch
from lightning_fabric.plugins.io.torch_io import TorchCheckpointIO

from .atomic import torch_save_atomic


class AtomicCheckpointIO(TorchCheckpointIO):
    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options: Any | None = None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        torch_save_atomic(checkpoint, path)


def loadable_or_moved_aside(path: str | Path) -> bool:
    """True when `path` loads; otherwise renames it to <name>.corrupt-<time> and warns."""
    path = Path(path)
    try:
        torch.load(path, map_location="cpu", weights_only=False, mmap=True)
        return True
    except Exception as err:  # a truncated zip, a pickle error, an empty file: all mean "unusable"
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            path.rename(aside)
        except FileNotFoundError:  # another rank moved it first
            return False
        warnings.warn(f"checkpoint {path} does not load ({type(err).__name__}: {str(err).splitlines()[0][:200]}); "
                      f"moved it to {aside.name} and training starts again from the beginning", stacklevel=2)
        return False
