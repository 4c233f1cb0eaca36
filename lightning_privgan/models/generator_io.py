"""A generator as one standalone file: loadable without Lightning, the GAN config or pickles.

`load_generator` also accepts NVIDIA stylegan2-ada-pytorch snapshots
(`network-snapshot-*.pkl`) when that repository's `dnnlib` and `legacy` modules are
importable (put its folder on PYTHONPATH); their G_ema follows the same interface.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..pipeline.atomic import torch_save_atomic
from .components.generator import Generator

FORMAT = "lightning_privgan.generator/1"


def save_generator(G: Generator, path: str | Path) -> None:
    if not hasattr(G, "init_kwargs"):
        raise TypeError(f"save_generator needs a lightning_privgan Generator, got {type(G).__name__}")
    state = {k: v.detach().cpu() for k, v in G.state_dict().items()}
    torch_save_atomic({"format": FORMAT, "kwargs": dict(G.init_kwargs), "state_dict": state}, path)


def _load_stylegan2_ada_pickle(path: Path) -> torch.nn.Module:
    try:
        import dnnlib  # noqa: F401
        import legacy
    except ImportError:
        raise ImportError(
            f"{path} is a pickle: loading NVIDIA StyleGAN2-ADA snapshots needs the stylegan2-ada-pytorch "
            "repository (its dnnlib and legacy modules) on PYTHONPATH"
        ) from None
    with open(path, "rb") as f:
        return legacy.load_network_pkl(f)["G_ema"]


def load_generator(path: str | Path, device: str | torch.device = "cpu") -> torch.nn.Module:
    """The generator in eval mode with gradients off (the walker differentiates w.r.t. w only)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"generator file {path} does not exist")
    if path.suffix == ".pkl":
        G = _load_stylegan2_ada_pickle(path)
    else:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            raise ValueError(f"{path} is not a generator saved by save_generator (format {FORMAT})")
        G = Generator(**blob["kwargs"])
        G.load_state_dict(blob["state_dict"])
    return G.to(device).eval().requires_grad_(False)
