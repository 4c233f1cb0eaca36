"""Registry of data sources: cfg.data.source -> a builder `(data_cfg, seed) -> SourceData`."""
from __future__ import annotations

from typing import Callable

from ..manifest import SourceData
from .aptos import build_aptos
from .chest_xray_folders import build_montgomery, build_shenzhen, build_tb
from .eyepacs import build_eyepacs
from .folder_csv import build_folder
from .medmnist import build_medmnist
from .phantom import build_phantom_cxr, build_phantom_fundus

SOURCE_BUILDERS: dict[str, Callable[..., SourceData]] = {
    "phantom_cxr": build_phantom_cxr,
    "phantom_fundus": build_phantom_fundus,
    "medmnist": build_medmnist,
    "shenzhen": build_shenzhen,
    "montgomery": build_montgomery,
    "tb": build_tb,
    "aptos": build_aptos,
    "eyepacs": build_eyepacs,
    "folder": build_folder,
}


def load_source(data_cfg, seed: int) -> SourceData:
    """Images and table of the configured source (not yet validated or split)."""
    try:
        builder = SOURCE_BUILDERS[data_cfg.source]
    except KeyError:
        raise ValueError(f"unknown data.source {data_cfg.source!r}; known: {', '.join(SOURCE_BUILDERS)}") from None
    return builder(data_cfg, seed)
