"""Sources `phantom_cxr` and `phantom_fundus`: the embedded synthetic data sets."""
from __future__ import annotations

from ..errors import DataError
from ..images import convert_channels
from ..manifest import SourceData, source_table
from ..phantoms.cxr import make_cxr_phantoms
from ..phantoms.fundus import NUM_GRADES, make_fundus_phantoms


def _build(make, name: str, num_classes: int, data_cfg, seed: int) -> SourceData:
    if data_cfg.num_classes != num_classes:
        raise DataError(
            f"source {name} has {num_classes} classes but data.num_classes={data_cfg.num_classes} "
            f"(set data.num_classes and data.class_names accordingly)"
        )
    ph = data_cfg.phantom
    made = make(int(ph.num_patients), int(ph.scans_per_patient), float(ph.prevalence), int(data_cfg.resolution), seed)
    paths = [f"{name}:images:{i}" for i in range(len(made.labels))]
    return SourceData(
        images=convert_channels(made.images, int(data_cfg.channels)),
        table=source_table(paths, made.labels, made.patient_ids),
    )


def build_phantom_cxr(data_cfg, seed: int) -> SourceData:
    return _build(make_cxr_phantoms, "phantom_cxr", 2, data_cfg, seed)


def build_phantom_fundus(data_cfg, seed: int) -> SourceData:
    return _build(make_fundus_phantoms, "phantom_fundus", NUM_GRADES, data_cfg, seed)
