"""Sanity figures of DiagnosticClassifierModule trained from scratch on MedMNIST at 28 px.

Reads the npz files directly (numpy), trains through `train_diagnostic` (the same code
path as the pipeline's classifier and downstream stages) and prints official-test figures.
Reference (MedMNIST v2, ResNet-18 at 28 px): PneumoniaMNIST acc 0.854 / AUC 0.944,
RetinaMNIST acc 0.524 / AUC 0.717.

    python benchmarks/medmnist_check.py pneumonia --epochs 15
    python benchmarks/medmnist_check.py retina --epochs 30
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from lightning_privgan.config.load import config_from_dict
from lightning_privgan.data.image_dataset import ImageDataset
from lightning_privgan.data.real_store import to_model_range
from lightning_privgan.data.transforms import build_train_transform
from lightning_privgan.metrics.classification import evaluate_diagnostic
from lightning_privgan.pipeline.stage import StageContext
from lightning_privgan.training.diagnostic_training import train_diagnostic
from lightning_privgan.training.loaders import make_loader

DATA = Path(os.environ.get("PRIVGAN_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "medmnist"


def _nchw(images: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(images)
    return t[:, None] if t.ndim == 3 else t.permute(0, 3, 1, 2).contiguous()


def _split(npz, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    return _nchw(npz[f"{name}_images"]), torch.from_numpy(npz[f"{name}_labels"].reshape(-1).astype(np.int64))


def load_pneumonia():
    """Train = union of both files' train splits, de-duplicated by pixels; val/test = official."""
    main = np.load(DATA / "pneumoniamnist.npz")
    other = np.load(DATA / "pneumoniamnist_balanced.npz")
    images = np.concatenate([main["train_images"], other["train_images"]])
    labels = np.concatenate([main["train_labels"], other["train_labels"]]).reshape(-1)
    _, first = np.unique(images.reshape(len(images), -1), axis=0, return_index=True)
    keep = np.sort(first)
    train = (_nchw(images[keep]), torch.from_numpy(labels[keep].astype(np.int64)))
    return train, _split(main, "val"), _split(main, "test"), 2


def load_retina():
    npz = np.load(DATA / "retinamnist.npz")
    return _split(npz, "train"), _split(npz, "val"), _split(npz, "test"), 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=("pneumonia", "retina"))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--backbone", default="compact")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--monitor", default="val/auroc")
    parser.add_argument("--augment", default="standard", choices=("none", "standard", "identity"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-class-weighting", action="store_true", help="plain CE (accuracy, not macro, is the target)")
    parser.add_argument("--out", default=None, help="run folder (default: a temporary one)")
    args = parser.parse_args()

    (train_x, train_y), (val_x, val_y), (test_x, test_y), num_classes = (
        load_pneumonia() if args.dataset == "pneumonia" else load_retina()
    )
    channels = train_x.shape[1]
    cfg = config_from_dict({
        "name": f"medmnist_{args.dataset}", "seed": args.seed,
        "trainer": {"progress_bar": False, "log_every_n_steps": 20},
        "data": {"channels": channels, "augment": {"hflip": args.dataset == "retina"}},
        "classifier": {"backbone": args.backbone, "width": args.width, "epochs": args.epochs,
                       "batch_size": args.batch_size, "lr": args.lr, "monitor": args.monitor,
                       "augment": args.augment, "class_weighting": not args.no_class_weighting},
    })
    run_dir = Path(args.out or tempfile.mkdtemp(prefix="medmnist_check_"))
    ctx = StageContext(cfg=cfg, run_dir=run_dir, name="class_guide")
    transform = build_train_transform(cfg.data.augment, channels, ctx.seed("augment"), args.augment)
    train_loader = make_loader(ImageDataset(train_x, train_y, transform), args.batch_size, True, 0, args.seed)
    val_loader = make_loader(ImageDataset(val_x, val_y), 512, False, 0, args.seed)
    print(f"{args.dataset}: train {len(train_y)} (class counts {torch.bincount(train_y).tolist()}), "
          f"val {len(val_y)}, test {len(test_y)}; run folder {run_dir}")
    start = time.time()
    net, best = train_diagnostic(ctx, train_loader, val_loader, cfg.classifier, num_classes, channels, 28)
    result = {
        "dataset": args.dataset, "epochs": args.epochs, "backbone": args.backbone, "width": args.width,
        "train_minutes": round((time.time() - start) / 60, 1), "best_checkpoint": str(best),
        "val": evaluate_diagnostic(net, to_model_range(val_x), val_y, num_classes),
        "test": evaluate_diagnostic(net, to_model_range(test_x), test_y, num_classes),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
