"""Re-identification figure of φ_id on phantoms: top-1 on held-out scans of training patients.

Builds phantoms in memory (no data stage needed), keeps the configured train fraction
of patients as identities and runs the `identity` stage's training on them.
Target: >= 0.90 top-1 at 64 px.

    python benchmarks/phantom_reid_check.py --resolution 64 --epochs 40
    python benchmarks/phantom_reid_check.py --source phantom_fundus --resolution 64
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from lightning_privgan.config.load import config_from_dict
from lightning_privgan.data.phantoms.cxr import make_cxr_phantoms
from lightning_privgan.data.phantoms.fundus import NUM_GRADES, make_fundus_phantoms
from lightning_privgan.data.real_store import RealData
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages.classifier_training import train_identity_stage


PHANTOMS = {  # source -> (maker, class names)
    "phantom_cxr": (make_cxr_phantoms, ["normal", "disease"]),
    "phantom_fundus": (make_fundus_phantoms, [f"grade{g}" for g in range(NUM_GRADES)]),
}


def phantom_real_data(
    source: str, num_patients: int, scans: int, resolution: int, train_fraction: float, seed: int
) -> RealData:
    make, class_names = PHANTOMS[source]
    ph = make(num_patients, scans, prevalence=0.5, resolution=resolution, seed=seed)
    n_train = int(round(train_fraction * num_patients))
    patients = sorted(set(ph.patient_ids))
    split_of = {p: ("train" if i < n_train else "holdout") for i, p in enumerate(patients)}
    manifest = pd.DataFrame({
        "index": range(len(ph.labels)), "path": [f"phantom/{i}" for i in range(len(ph.labels))],
        "label": ph.labels, "patient_id": ph.patient_ids, "split": [split_of[p] for p in ph.patient_ids],
    })
    return RealData(images=ph.images, manifest=manifest, class_names=class_names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="phantom_cxr", choices=sorted(PHANTOMS))
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--patients", type=int, default=120)
    parser.add_argument("--scans", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--backbone", default="compact")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--augment", default="identity", choices=("none", "standard", "identity"))
    parser.add_argument("--out", default=None, help="run folder (default: a temporary one)")
    args = parser.parse_args()

    channels = 3 if args.source == "phantom_fundus" else 1
    cfg = config_from_dict({
        "name": "phantom_reid", "trainer": {"progress_bar": False, "log_every_n_steps": 5},
        "data": {"source": args.source, "resolution": args.resolution, "channels": channels,
                 "num_classes": len(PHANTOMS[args.source][1]), "class_names": PHANTOMS[args.source][1]},
        "identity": {"backbone": args.backbone, "width": args.width, "epochs": args.epochs,
                     "batch_size": args.batch_size, "lr": args.lr, "augment": args.augment},
    })
    run_dir = Path(args.out or tempfile.mkdtemp(prefix="phantom_reid_"))
    data = phantom_real_data(args.source, args.patients, args.scans, args.resolution, cfg.data.splits.train, cfg.seed)
    data.save(run_dir / "data")
    start = time.time()
    metrics = train_identity_stage(StageContext(cfg=cfg, run_dir=run_dir, name="identity"), cfg.identity)
    metrics["train_minutes"] = round((time.time() - start) / 60, 1)
    print(json.dumps({**vars(args), **metrics}, indent=2))


if __name__ == "__main__":
    main()
