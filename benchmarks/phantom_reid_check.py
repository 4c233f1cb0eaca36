"""Re-identification figure of φ_id on phantoms: top-1 on held-out scans of training patients.

Runs the `data` and `identity` stages of the phantom's experiment file (demo.yaml for
chest X-rays, phantom_fundus.yaml for fundus) with the settings below, in a throw-away
run folder, and prints the identity stage's metrics. Target: >= 0.90 top-1 at 64 px.

    python benchmarks/phantom_reid_check.py --resolution 64 --epochs 40
    python benchmarks/phantom_reid_check.py --source phantom_fundus --resolution 64
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console

from lightning_privgan.config.load import load_experiment
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.stages import data, identity

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
EXPERIMENT_OF = {"phantom_cxr": "demo.yaml", "phantom_fundus": "phantom_fundus.yaml"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="phantom_cxr", choices=sorted(EXPERIMENT_OF))
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--patients", type=int, default=120)
    parser.add_argument("--scans", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--backbone", default="compact")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--augment", default="identity", choices=("none", "standard", "identity"))
    parser.add_argument("--head", default="cosine", choices=("linear", "cosine"))
    parser.add_argument("--out", default=None, help="run folder (default: a temporary one)")
    args = parser.parse_args()

    run_dir = Path(args.out or tempfile.mkdtemp(prefix="phantom_reid_"))
    cfg = load_experiment(EXPERIMENTS / EXPERIMENT_OF[args.source], [
        "trainer.progress_bar=false",
        "trainer.log_every_n_steps=5", f"data.resolution={args.resolution}",
        f"data.phantom.num_patients={args.patients}", f"data.phantom.scans_per_patient={args.scans}",
        f"identity.backbone={args.backbone}", f"identity.width={args.width}", f"identity.epochs={args.epochs}",
        f"identity.batch_size={args.batch_size}", f"identity.lr={args.lr}", f"identity.augment={args.augment}",
        f"identity.head={args.head}",
    ])
    console = Console(quiet=True)
    data.STAGE.run(StageContext(cfg, run_dir, "data", console=console))
    start = time.time()
    identity.STAGE.run(StageContext(cfg, run_dir, "identity", console=console))
    metrics = json.loads((run_dir / "identity" / "metrics.json").read_text())
    metrics["train_minutes"] = round((time.time() - start) / 60, 1)
    print(json.dumps({**vars(args), **metrics}, indent=2))


if __name__ == "__main__":
    main()
