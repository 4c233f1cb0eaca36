"""The data stage's images on disk, read lazily: one raw uint8 file plus a small JSON header.

    images.u8    N x C x H x W bytes, row i = manifest index i (C-order, no padding)
    images.json  {"format": "uint8-nchw", "version": 1, "count": N, "channels": C, "height": H, "width": W}

Readers fetch the rows they need with positional reads (os.pread), never a memory map:
pages of a mapped file count in the reader's resident memory once touched, so one epoch
over a mapped 7 GB set would look like 7 GB per process (per DDP rank). pread goes
through the OS page cache, which every process shares and the kernel may drop. A
reader opens its file on first use in each process, so it survives pickling into
DataLoader workers and DDP ranks, each of which reads only the rows it is handed.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from ..core.atomic import atomic_path, write_json_atomic
from .errors import DataError

DATA_FILE = "images.u8"
HEADER_FILE = "images.json"
FORMAT = "uint8-nchw"
VERSION = 1


def to_model_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1], the range of every image in the model world."""
    return images_uint8.float().div_(127.5).sub_(1.0)


class ImageStoreWriter:
    """Appends uint8 [k, C, H, W] chunks to <folder>/images.u8; `close()` writes the header.

    The data file is written under a temporary name and renamed with the header, so an
    interrupted data stage never leaves a store that a later stage would trust.
    """

    def __init__(self, folder: str | Path, shape: tuple[int, int, int]):
        self.folder = Path(folder)
        self.shape = tuple(int(s) for s in shape)
        self.count = 0
        # atomic_path owns the temporary name, the rename, the clean-up of a killed run's leftover
        # and the one-line full-disk error, as for every other artifact.
        self._stack = contextlib.ExitStack()
        self._file = self._stack.enter_context(open(self._stack.enter_context(atomic_path(self.folder / DATA_FILE)), "wb"))

    def append(self, images: torch.Tensor | np.ndarray) -> None:
        arr = images.numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
        if arr.dtype != np.uint8 or arr.ndim != 4 or tuple(arr.shape[1:]) != self.shape:
            raise ValueError(f"image chunk must be uint8 [k, {', '.join(map(str, self.shape))}], "
                             f"got {arr.dtype} {tuple(arr.shape)}")
        self._file.write(np.ascontiguousarray(arr).tobytes())
        self.count += len(arr)

    def close(self) -> "ImageStore":
        self._stack.close()  # closes the file, then renames it onto images.u8
        c, h, w = self.shape
        write_json_atomic(self.folder / HEADER_FILE, {"format": FORMAT, "version": VERSION, "count": self.count,
                                                      "channels": c, "height": h, "width": w})
        return ImageStore(self.folder)

    def abort(self, exc_type=None, exc=None, tb=None) -> None:
        """Drop the temporary file (the exception, when given, passes through atomic_path)."""
        self._stack.__exit__(exc_type, exc, tb)

    def __enter__(self) -> "ImageStoreWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort(exc_type, exc, tb)


def write_image_store(folder: str | Path, images, chunk: int = 1024) -> "ImageStore":
    """uint8 [N, C, H, W] images (a tensor, or anything with `read(rows)`) -> a store, chunk by chunk."""
    with ImageStoreWriter(folder, tuple(images.shape[1:])) as writer:
        for start in range(0, len(images), chunk):
            rows = range(start, min(start + chunk, len(images)))
            part = images[start:start + chunk] if isinstance(images, torch.Tensor) else images.read(rows)
            writer.append(part.contiguous())
        return writer.close()


class ImageStore:
    """Read side of a store: `read(rows)` -> uint8 [k, C, H, W] for any row indices."""

    def __init__(self, folder: str | Path):
        # Set first: __del__ runs even when a damaged store makes __init__ raise.
        self._fd: int | None = None
        self._pid = -1
        self.folder = Path(folder)
        header_path, data_path = self.folder / HEADER_FILE, self.folder / DATA_FILE
        rerun = "re-run the data stage (--force data)"
        try:
            header = json.loads(header_path.read_text())
            if not isinstance(header, dict):
                raise ValueError(f"a JSON {type(header).__name__}, not an object")
        except (ValueError, UnicodeDecodeError) as err:  # a truncated or overwritten header
            raise DataError(f"image store header {header_path} is damaged ({err}); {rerun}") from None
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise DataError(f"{header_path}: unsupported image store {header.get('format')!r} "
                            f"v{header.get('version')} (this version reads {FORMAT!r} v{VERSION})")
        try:
            self.shape = tuple(int(header[k]) for k in ("count", "channels", "height", "width"))
        except (KeyError, TypeError, ValueError) as err:
            raise DataError(f"image store header {header_path} lacks a valid {err}; {rerun}") from None
        self.row_bytes = int(np.prod(self.shape[1:]))
        if not data_path.is_file():
            raise DataError(f"image store {data_path} is missing (its header {header_path} is there); {rerun}")
        size = data_path.stat().st_size
        if size != self.shape[0] * self.row_bytes:
            raise DataError(f"image store {data_path} holds {size} bytes, the header promises "
                            f"{self.shape[0]} images of {self.row_bytes} bytes (truncated or changed); {rerun}")

    def __len__(self) -> int:
        return self.shape[0]

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_fd": None, "_pid": -1}  # each process opens its own descriptor

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None and self._pid == os.getpid():
            try:
                os.close(self._fd)
            except (OSError, TypeError):  # already closed, or interpreter shutdown
                pass

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd, self._pid = os.open(self.folder / DATA_FILE, os.O_RDONLY), os.getpid()
        return self._fd

    def read(self, rows) -> torch.Tensor:
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError(f"image rows {rows.min()}..{rows.max()} outside the store's 0..{len(self) - 1}")
        out = np.empty((len(rows), *self.shape[1:]), dtype=np.uint8)
        flat = out.reshape(len(rows), self.row_bytes)
        fd, size = self._descriptor(), self.row_bytes
        # Consecutive rows (a sorted split, a slice) are fetched with one read per run.
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        for run in np.split(np.arange(len(rows)), breaks):
            if len(run) == 0:
                continue
            want = size * len(run)
            data = os.pread(fd, want, int(rows[run[0]]) * size)
            if len(data) != want:
                raise OSError(f"short read from {self.folder / DATA_FILE}: the file changed under the reader")
            flat[run[0]:run[-1] + 1] = np.frombuffer(data, dtype=np.uint8).reshape(len(run), size)
        return torch.from_numpy(out)


class MemoryImages:
    """The same `read(rows)` interface over an in-memory uint8 tensor (tests, old run folders)."""

    def __init__(self, images: torch.Tensor):
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError(f"images must be uint8 [N, C, H, W], got {images.dtype} {tuple(images.shape)}")
        self.images = images
        self.shape = tuple(images.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, rows) -> torch.Tensor:
        return self.images[torch.as_tensor(np.asarray(rows, dtype=np.int64).reshape(-1))]


class LazyImages:
    """Some rows of a store, seen as float images in [-1, 1] that are read when indexed.

    Indexing (int, slice, index array, bool mask) returns a float tensor of just those
    images, so batch loops (`images[i:i + b]`) work as on a tensor; `subset()` narrows the
    view without reading; `uint8(i)` gives the stored bytes (for the augmentation
    pipelines). `materialize()` / `.to()` read everything: only for sets that must be held
    whole (the privacy gate's references), never for a training split.
    """

    dtype = torch.float32
    device = torch.device("cpu")

    def __init__(self, source: ImageStore | MemoryImages, rows):
        self.source = source
        self.rows = np.asarray(rows, dtype=np.int64).reshape(-1)

    @property
    def shape(self) -> torch.Size:
        return torch.Size((len(self.rows), *self.source.shape[1:]))

    def __len__(self) -> int:
        return len(self.rows)

    def _select(self, index) -> np.ndarray:
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        return self.rows[index]

    def subset(self, index) -> "LazyImages":
        return LazyImages(self.source, np.atleast_1d(self._select(index)))

    def uint8(self, index) -> torch.Tensor:
        if isinstance(index, (int, np.integer)):
            return self.source.read([self.rows[index]])[0]
        return self.source.read(self._select(index))

    def __getitem__(self, index) -> torch.Tensor:
        return to_model_range(self.uint8(index))

    def batches(self, size: int) -> Iterator[torch.Tensor]:
        for start in range(0, len(self), size):
            yield self[start:start + size]

    def materialize(self) -> torch.Tensor:
        return self[:]

    def to(self, *args, **kwargs) -> torch.Tensor:
        return self.materialize().to(*args, **kwargs)
