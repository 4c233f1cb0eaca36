"""A generator as one standalone file: loadable without Lightning or the GAN config.

generator.pt holds one of two records:
  lightning_privgan.generator/1         the project's Generator: constructor kwargs + state dict
  lightning_privgan.generator-pickle/1  an imported NVIDIA network pickle: the name of its copy
                                        beside the record (generator.pkl) and that copy's SHA-256
`load_generator` returns a LatentGenerator either way, and also reads a network pickle
(`*.pkl`, models/nvidia_generator.py) directly.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from ..core.atomic import atomic_path, torch_save_atomic
from .latent_generator import LatentGenerator
from .nvidia_generator import NvidiaGenerator
from .stylegan2.networks import Generator

FORMAT = "lightning_privgan.generator/1"
PICKLE_FORMAT = "lightning_privgan.generator-pickle/1"


def save_generator(G: LatentGenerator, path: str | Path) -> None:
    path = Path(path)
    if isinstance(G, Generator):
        state = {k: v.detach().cpu() for k, v in G.state_dict().items()}
        torch_save_atomic({"format": FORMAT, "kwargs": dict(G.init_kwargs), "state_dict": state}, path)
    elif isinstance(G, NvidiaGenerator):
        _save_pickle_record(G, path)
    else:
        raise TypeError(f"save_generator writes a lightning_privgan Generator or an NvidiaGenerator (a wrapped "
                        f"network pickle), got {type(G).__name__}")


def _save_pickle_record(G: NvidiaGenerator, path: Path) -> None:
    """Copy G's pickle beside the record, byte for byte: the run folder holds the network itself."""
    if G.source is None or G.sha256 is None:
        raise ValueError("this NvidiaGenerator was not loaded from a file (NvidiaGenerator.from_pickle), so there "
                         "are no pickle bytes to save")
    copy = path.with_suffix(".pkl")
    if not (copy.exists() and copy.resolve() == Path(G.source).resolve()):
        raw = Path(G.source).read_bytes()
        if hashlib.sha256(raw).hexdigest() != G.sha256:
            raise ValueError(f"{G.source} changed since this generator was loaded from it; load it again")
        with atomic_path(copy) as tmp:
            tmp.write_bytes(raw)
    torch_save_atomic({"format": PICKLE_FORMAT, "pickle": copy.name, "sha256": G.sha256,
                       "imported_from": str(G.source)}, path)


def load_generator(path: str | Path, device: str | torch.device = "cpu") -> LatentGenerator:
    """The generator in eval mode with gradients off (the walker differentiates w.r.t. w only)."""
    path = Path(path)
    if path.is_dir():
        raise FileNotFoundError(f"generator file {path} is a folder, not a file")
    if not path.is_file():
        raise FileNotFoundError(f"generator file {path} does not exist")
    if path.suffix == ".pkl":
        G: LatentGenerator = NvidiaGenerator.from_pickle(path)
    else:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        fmt = blob.get("format") if isinstance(blob, dict) else None
        if fmt == FORMAT:
            G = Generator(**blob["kwargs"])
            G.load_state_dict(blob["state_dict"])
        elif fmt == PICKLE_FORMAT:
            G = NvidiaGenerator.from_pickle(path.parent / blob["pickle"], expect_sha256=blob["sha256"],
                                              recorded=True)
        else:
            raise ValueError(f"{path} is not a generator saved by save_generator (format {FORMAT} or {PICKLE_FORMAT})")
    return G.to(device).eval().requires_grad_(False)
