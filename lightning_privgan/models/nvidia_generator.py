"""A generator from an NVIDIA stylegan2-ada-pytorch or stylegan3 network pickle, as a LatentGenerator.

Their training loops pickle a dict {G, D, G_ema, augment_pipe, training_set_kwargs}
(`network-snapshot-*.pkl`); G_ema is the generator to sample from. It has z_dim, c_dim
(one-hot conditioning, 0 = unconditional), w_dim, img_resolution, img_channels, num_ws,
`mapping(z, c, truncation_psi=...)` -> ws [N, num_ws, w_dim] with the mean latent in
`mapping.w_avg`, and `synthesis(ws, noise_mode=...)` -> images in [-1, 1].

Their classes are pickled by reference to their modules, so unpickling needs that
repository's code (its `dnnlib` and `torch_utils` packages) importable: put the repository's
folder on PYTHONPATH. A pickle runs code when it loads: import only pickles you trust.
TensorFlow StyleGAN pickles must first be converted with the repository's own legacy.py.
"""
from __future__ import annotations

import hashlib
import io
import logging
import pickle
import sys
from pathlib import Path

import torch
from torch import nn

from .latent_generator import LatentGenerator

log = logging.getLogger(__name__)
SIZES = ("z_dim", "c_dim", "w_dim", "num_ws", "img_resolution", "img_channels")
REPOSITORIES = "NVIDIA stylegan2-ada-pytorch or stylegan3"


class _TensorFlowPickle(Exception):
    pass


class _NetworkUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if module.startswith("dnnlib.tflib"):  # TensorFlow StyleGAN(2) networks
            raise _TensorFlowPickle()
        return super().find_class(module, name)


def announce_unpickling(path: Path, digest: str) -> None:
    """One line on the console (and in the run's log) before a pickle the run has not recorded is
    loaded: unpickling runs whatever code the file names, so the user should know which file it is."""
    line = (f"loading network pickle {path} (SHA-256 {digest}): unpickling runs code from the file; "
            "load only pickles you trust")
    log.warning(line)
    print(f"warning: {line}", file=sys.stderr, flush=True)


def read_network_pickle(raw: bytes, path: Path) -> nn.Module:
    """G_ema of a network pickle's bytes; `path` only names the file in errors."""
    try:
        data = _NetworkUnpickler(io.BytesIO(raw)).load()
    except _TensorFlowPickle:
        raise ValueError(f"{path} is a TensorFlow StyleGAN pickle: convert it first with stylegan2-ada-pytorch's "
                         "legacy.py (python legacy.py --source=old.pkl --dest=new.pkl)") from None
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(
            f"unpickling {path} needs the Python module {err.name!r}, which is not importable: {REPOSITORIES} "
            "pickles need that repository's code (its dnnlib and torch_utils packages). Put the repository's "
            "folder on PYTHONPATH, e.g. PYTHONPATH=/path/to/stylegan2-ada-pytorch privgan run ...") from None
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError) as err:
        raise ValueError(f"{path} is not a readable network pickle ({type(err).__name__}: {err})") from None
    if not isinstance(data, dict) or "G_ema" not in data:
        keys = sorted(map(str, data)) if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{path} holds no 'G_ema' (it holds {keys}): not a network pickle written by {REPOSITORIES}")
    net = data["G_ema"]
    if not isinstance(net, nn.Module):
        raise ValueError(f"{path}: 'G_ema' is a {type(net).__name__}, not a torch module")
    missing = [a for a in (*SIZES, "mapping", "synthesis") if not hasattr(net, a)]
    if not missing and not hasattr(net.mapping, "w_avg"):
        missing.append("mapping.w_avg")
    if missing:
        raise ValueError(f"{path}: its G_ema lacks {', '.join(missing)}, which {REPOSITORIES} generators have")
    return net


class NvidiaGenerator(LatentGenerator):
    """The G_ema of a network pickle behind LatentGenerator; `source` and `sha256` name the
    file it came from, so that save_generator can copy exactly those bytes into a run."""

    def __init__(self, net: nn.Module, source: Path | None = None, sha256: str | None = None):
        super().__init__()
        self.net = net.eval().requires_grad_(False)
        for name in SIZES:
            setattr(self, name, int(getattr(net, name)))
        self.source, self.sha256 = source, sha256

    @classmethod
    def from_pickle(cls, path: str | Path, expect_sha256: str | None = None,
                    recorded: bool = False) -> "NvidiaGenerator":
        """`recorded`: the file is a run's own copy, checked against the digest its record holds;
        any other pickle (one a user gives) is announced before it is unpickled."""
        path = Path(path)
        if path.is_dir():
            raise FileNotFoundError(f"network pickle {path} is a folder, not a file: give the .pkl file itself")
        if not path.is_file():
            raise FileNotFoundError(f"network pickle {path} does not exist")
        raw = path.read_bytes()  # hashed and unpickled from one read: the hash is of what was loaded
        digest = hashlib.sha256(raw).hexdigest()
        if expect_sha256 is not None and digest != expect_sha256:
            raise ValueError(f"{path} has SHA-256 {digest}, not the expected {expect_sha256}: the file changed "
                             "since it was recorded")
        if not recorded:
            announce_unpickling(path, digest)
        return cls(read_network_pickle(raw, path), source=path, sha256=digest)

    def train(self, mode: bool = True) -> "NvidiaGenerator":
        # stylegan2-ada's mapping moves w_avg whenever it runs in training mode; this network
        # is only ever sampled from, so it stays in eval mode whatever the caller asks.
        super().train(mode)
        self.net.eval()
        return self

    def map(self, z: torch.Tensor, labels: torch.Tensor | None = None, truncation_psi: float = 1.0) -> torch.Tensor:
        c = self.condition(z, labels)
        if c is None:  # their mapping takes c [N, 0] when unconditional (their generate.py does so)
            c = z.new_zeros(len(z), 0)
        ws = self.net.mapping(z, c, truncation_psi=truncation_psi)
        if ws.shape != (len(z), self.num_ws, self.w_dim):
            raise ValueError(f"the pickled mapping returned {list(ws.shape)}, not [N, num_ws={self.num_ws}, "
                             f"w_dim={self.w_dim}]")
        return ws

    def render(self, ws: torch.Tensor, noise_mode: str) -> torch.Tensor:
        # force_fp32: their fp16 layers (num_fp16_res) would give the walk's gradients fp16
        # round-off; walk.autocast is the switch for reduced precision.
        return self.net.synthesis(ws, noise_mode=noise_mode, force_fp32=True)

    @property
    def w_avg(self) -> torch.Tensor:
        return self.net.mapping.w_avg
