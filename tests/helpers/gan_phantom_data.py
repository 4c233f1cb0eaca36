"""A small phantom_cxr data-stage folder for the GAN tests (no dependency on the data stage)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lightning_privgan.data.phantoms.cxr import make_cxr_phantoms
from lightning_privgan.data.real_store import RealData


def write_phantom_data(run_dir: Path, num_patients: int = 24, scans: int = 3, resolution: int = 32, seed: int = 0) -> Path:
    ph = make_cxr_phantoms(num_patients, scans, prevalence=0.5, resolution=resolution, seed=seed)
    patient = np.array(ph.patient_ids)
    order = sorted(set(ph.patient_ids))
    cut = int(0.7 * len(order))
    split = np.where(np.isin(patient, order[:cut]), "train", "test")
    manifest = pd.DataFrame({"index": np.arange(len(patient)), "path": [f"phantom/{i}" for i in range(len(patient))],
                             "label": ph.labels, "patient_id": patient, "split": split})
    folder = run_dir / "data"
    RealData(images=ph.images, manifest=manifest, class_names=["normal", "disease"]).save(folder)
    return folder


FAST_GAN = {"batch_size": 8, "r1_interval": 2, "ada_interval": 1, "ada_kimg": 0.5, "augment_p": 0.2,
            "fd_num_images": 32, "fd_encoder_epochs": 1, "sample_grid": 4, "channel_base": 256, "channel_max": 32}
