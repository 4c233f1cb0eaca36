"""gan.pretrained: the network pickle must exist, and its content is part of the config.

The stage cache hashes settings, not files: a pickle replaced under the same name would leave
an outdated import cached. So loading the config records the file's SHA-256 in
gan.pretrained_sha256 (and config.yaml), which the gan stage's hash covers; a digest the
experiment gives pins the file instead, and a different file stops the run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from omegaconf import DictConfig

from ..core.hashing import file_sha256


def check_pretrained(cfg: DictConfig, fail: Callable[..., None]) -> None:
    """Fill gan.pretrained_sha256 from the file named by gan.pretrained, or fail naming the key."""
    gan = cfg.gan
    if gan.pretrained is None:
        if gan.pretrained_sha256 is not None:
            fail("gan.pretrained_sha256", "is set but gan.pretrained names no network pickle", "gan.pretrained")
        return
    path = Path(gan.pretrained)
    if path.suffix != ".pkl":
        fail("gan.pretrained", f"{str(path)!r} is not a network pickle: the file name must end in .pkl "
                               "(an NVIDIA stylegan2-ada-pytorch / stylegan3 snapshot)")
    if path.is_dir():
        fail("gan.pretrained", f"{str(path)!r} is a folder, not a network pickle file: give the .pkl file itself")
    if not path.is_file():
        fail("gan.pretrained", f"file {str(path)!r} does not exist (relative paths start at the working folder "
                               f"{Path.cwd()})")
    digest = file_sha256(path)
    if gan.pretrained_sha256 is not None and gan.pretrained_sha256 != digest:
        fail("gan.pretrained_sha256", f"{gan.pretrained} has SHA-256 {digest}, not the pinned {gan.pretrained_sha256}",
             "gan.pretrained")
    gan.pretrained_sha256 = digest
