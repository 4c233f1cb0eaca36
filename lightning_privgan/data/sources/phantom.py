"""Sources `phantom_cxr` and `phantom_fundus`: the embedded synthetic data sets.

Large phantom sets are generated in chunks of patients (each chunk from its own seed,
derived from the data seed) so that the data stage never holds the whole set; a set
that fits one chunk (every CPU experiment) is exactly what one call of the generator makes.
"""
from __future__ import annotations

import re

import numpy as np

from ..errors import DataError
from ..images import DecodedFiles, convert_channels
from ..manifest import ImageChunks, SourceData, source_table
from ..phantoms.cxr import make_cxr_phantoms
from ..phantoms.fundus import NUM_GRADES, make_fundus_phantoms

# float32 pixels of one chunk's output (the generators hold a few such buffers at once)
CHUNK_BYTES = 16 * 2**20
LABEL_PASS_RESOLUTION = 16


def patients_per_chunk(scans: int, resolution: int) -> int:
    return max(1, CHUNK_BYTES // (scans * 3 * resolution * resolution * 4))


def chunk_seed(seed: int, chunk: int) -> int:
    """Chunk 0 keeps the data seed (so a one-chunk set is unchanged); later chunks get their own."""
    return seed if chunk == 0 else int(np.random.SeedSequence([seed, chunk]).generate_state(1)[0])


def _renumber(patient_ids: list[str], offset: int) -> list[str]:
    """'cxr00003' of a chunk starting at patient 200 -> 'cxr00203': numbers continue across chunks."""
    return [re.sub(r"\d+$", lambda m: f"{offset + int(m.group()):05d}", pid) for pid in patient_ids]


def _build(make, name: str, num_classes: int, data_cfg, seed: int) -> SourceData:
    if data_cfg.num_classes != num_classes:
        raise DataError(
            f"source {name} has {num_classes} classes but data.num_classes={data_cfg.num_classes} "
            f"(set data.num_classes and data.class_names accordingly)"
        )
    ph = data_cfg.phantom
    patients, scans, resolution = int(ph.num_patients), int(ph.scans_per_patient), int(data_cfg.resolution)
    channels, step = int(data_cfg.channels), patients_per_chunk(int(ph.scans_per_patient), resolution)
    labels, patient_ids = [], []
    starts = list(range(0, patients, step))
    # The table is needed before the images: a first pass at LABEL_PASS_RESOLUTION keeps only
    # labels and ids (drawn before any pixel, so the same at every resolution); pixels are dropped.
    for c, start in enumerate(starts):
        made = make(min(step, patients - start), scans, float(ph.prevalence), LABEL_PASS_RESOLUTION, chunk_seed(seed, c))
        labels.extend(made.labels.tolist())
        patient_ids.extend(_renumber(made.patient_ids, start) if c else made.patient_ids)

    def chunks():
        for c, start in enumerate(starts):
            made = make(min(step, patients - start), scans, float(ph.prevalence), resolution, chunk_seed(seed, c))
            images = convert_channels(made.images, channels)
            yield DecodedFiles(images=images, kept=np.ones(len(images), dtype=bool))

    paths = [f"{name}:images:{i}" for i in range(len(labels))]
    return SourceData(images=ImageChunks((channels, resolution, resolution), chunks),
                      table=source_table(paths, np.asarray(labels), patient_ids))


def build_phantom_cxr(data_cfg, seed: int) -> SourceData:
    return _build(make_cxr_phantoms, "phantom_cxr", 2, data_cfg, seed)


def build_phantom_fundus(data_cfg, seed: int) -> SourceData:
    return _build(make_fundus_phantoms, "phantom_fundus", NUM_GRADES, data_cfg, seed)
