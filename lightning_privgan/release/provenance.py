"""How a release was made: the run's method settings, the hash of its config and the code version."""
from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path

from omegaconf import DictConfig

from ..core.hashing import file_sha256


def stage_hashes(run_dir: Path) -> dict[str, str]:
    """{stage: settings+inputs hash} of every finished stage of the run (its stage.json)."""
    out = {}
    for record in sorted(Path(run_dir).glob("*/stage.json")):
        try:
            out[record.parent.name] = json.loads(record.read_text())["hash"]
        except (ValueError, KeyError):
            continue
    return out


def code_version() -> str:
    """Package version, plus the git commit (and '-dirty') when the code runs from a checkout."""
    try:
        version = metadata.version("lightning_privgan")
    except metadata.PackageNotFoundError:
        version = "unknown"
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version} (git {commit}{'-dirty' if dirty else ''})"


def method_settings(cfg: DictConfig, source: str) -> dict:
    """The settings that made the images: data, GAN budget, anchors (k-same), walk (λ, steps)."""
    return {
        "source": source,
        "data": {"source": cfg.data.source, "resolution": int(cfg.data.resolution)},
        # An imported network (gan.pretrained) was trained elsewhere: its file, not a budget, identifies it.
        "gan": ({"pretrained": str(cfg.gan.pretrained), "pretrained_sha256": cfg.gan.pretrained_sha256}
                if cfg.gan.get("pretrained") else {"kimg": float(cfg.gan.kimg)}),
        "anchors": {"method": cfg.anchors.method, "k": int(cfg.anchors.k), "num_pairs": int(cfg.anchors.num_pairs)},
        "walk": {"method": source, "n_steps": int(cfg.walk.n_steps),
                 "optim_steps": int(cfg.walk.optim_steps) if source == "plan" else 0, "lr": float(cfg.walk.lr),
                 "lambda_priv": float(cfg.walk.lambda_priv), "lambda_eq": float(cfg.walk.lambda_eq),
                 "lambda_cls": float(cfg.walk.lambda_cls), "space": cfg.walk.space},
        "sampling": {"interpolate": bool(cfg.stream.interpolate), "noise_mode": cfg.walk.noise_mode,
                     "endpoints": "never sampled (they are the anchors)"},
    }


def provenance(run_dir: Path, run_name: str, seed: int) -> dict:
    # The run's name, not its path: a path on the hospital's machines is nothing to publish.
    return {"run_name": run_name, "config_sha256": file_sha256(Path(run_dir) / "config.yaml"),
            "stage_hashes": stage_hashes(run_dir), "code_version": code_version(), "sample_seed": int(seed)}
