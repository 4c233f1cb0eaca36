"""Source `medmnist`: MedMNIST v2 .npz files (keys {train,val,test}_{images,labels}).

MedMNIST has no patient ids: every image is its own identity. Several files are united
(PneumoniaMNIST ships as a reduced and a balanced copy whose union is the official train
split): their train images are pooled and de-duplicated by pixel content; the official
val and test splits come from the first file.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from ..images import convert_channels, resize_array
from ..manifest import SourceData, source_table
from .file_records import require_file

KEYS = ("train_images", "train_labels", "val_images", "val_labels", "test_images", "test_labels")


def _read(path: Path) -> dict[str, np.ndarray]:
    require_file(path, "medmnist")
    try:
        with np.load(path) as npz:
            missing = [k for k in KEYS if k not in npz.files]
            if missing:
                raise DataError(f"medmnist file {path} lacks key(s) {missing}")
            return {k: npz[k] for k in KEYS}
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read medmnist file {path}: {err}") from None


def _as_nchw(images: np.ndarray, path: Path, key: str) -> torch.Tensor:
    if images.dtype != np.uint8 or images.ndim not in (3, 4):
        raise DataError(f"{path}:{key} must be uint8 [N, H, W] or [N, H, W, 3], got {images.dtype} {images.shape}")
    arr = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(arr))


def build_medmnist(data_cfg, seed: int) -> SourceData:
    del seed  # the data are fixed; splits get their own seed
    if not data_cfg.files:
        raise DataError("medmnist: data.files lists no .npz file")
    files = [Path(f).expanduser() for f in data_cfg.files]
    contents = [_read(f) for f in files]

    images, paths, labels, official, seen = [], [], [], [], set()
    for path, npz in zip(files, contents):
        for i, img in enumerate(npz["train_images"]):
            digest = hashlib.sha1(img.tobytes()).digest()
            if digest in seen:  # the same image in an earlier file (or earlier in this one)
                continue
            seen.add(digest)
            images.append(img)
            paths.append(f"{path}:train_images:{i}")
            labels.append(int(np.ravel(npz["train_labels"][i])[0]))
            official.append("")
    first = contents[0]
    for split in ("val", "test"):
        imgs = first[f"{split}_images"]
        labs = np.asarray(first[f"{split}_labels"]).reshape(len(imgs), -1)
        images.extend(imgs)
        paths.extend(f"{files[0]}:{split}_images:{i}" for i in range(len(imgs)))
        labels.extend(int(l) for l in labs[:, 0])
        official.extend([split] * len(imgs))

    stacked = _as_nchw(np.stack(images), files[0], "images")
    stacked = resize_array(convert_channels(stacked, int(data_cfg.channels)), int(data_cfg.resolution))
    # One identity per image; the path already names file, split and row uniquely.
    return SourceData(images=stacked, table=source_table(paths, labels, paths, official))
