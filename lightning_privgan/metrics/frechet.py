"""Fréchet distance between feature distributions of real and generated images.

Features come from Inception-v3 only when its weights file is present locally
(`audit.inception_weights`, a torchvision `inception_v3` state dict); otherwise from the
offline encoder trained on the real data (fd_encoder.py). The two are not comparable:
every FD row records which extractor produced it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F


def feature_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and (unbiased) covariance, in float64: FD cancels large terms, float32 loses them."""
    x = features.double()
    if len(x) < 2:
        raise ValueError("need at least two feature vectors for a covariance")
    mu = x.mean(0)
    xc = x - mu
    return mu, xc.t() @ xc / (len(x) - 1)


def _sqrt_psd(m: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh((m + m.t()) / 2)
    return (vecs * vals.clamp_min(0).sqrt()) @ vecs.t()


def frechet_distance(mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor) -> float:
    """||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^1/2).

    tr((S1 S2)^1/2) = tr((S1^1/2 S2 S1^1/2)^1/2), and the inner matrix is symmetric PSD,
    so both roots come from symmetric eigendecompositions (no complex parts to discard,
    unlike scipy.linalg.sqrtm on the non-symmetric S1 S2); tiny negative eigenvalues
    from round-off are clamped to zero.
    """
    mu1, mu2, sigma1, sigma2 = (t.double() for t in (mu1, mu2, sigma1, sigma2))
    root1 = _sqrt_psd(sigma1)
    inner = root1 @ sigma2 @ root1
    tr_covmean = torch.linalg.eigvalsh((inner + inner.t()) / 2).clamp_min(0).sqrt().sum()
    fd = (mu1 - mu2).square().sum() + sigma1.trace() + sigma2.trace() - 2 * tr_covmean
    return float(fd.clamp_min(0))


class InceptionFeatures(torch.nn.Module):
    """2048-d pool features of torchvision's Inception-v3 from a local weights file (no download)."""

    def __init__(self, weights_path: str | Path):
        super().__init__()
        from torchvision.models import inception_v3  # only with local Inception weights

        net = inception_v3(weights=None, aux_logits=True, init_weights=False)
        net.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True))
        net.fc = torch.nn.Identity()
        self.net = net.eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x = (img.clamp(-1, 1) + 1) / 2
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        return self.net((x - self.mean) / self.std)


def fd_of_features(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between two feature sets [N, D], [M, D]."""
    return frechet_distance(*feature_stats(a), *feature_stats(b))


def choose_extractor(mode: str, inception_weights: str | None) -> str:
    """'inception' or 'offline' for fd_features = auto | inception | offline."""
    have = inception_weights is not None and Path(inception_weights).is_file()
    if mode == "inception" and not have:
        raise FileNotFoundError(f"gan.fd_features=inception but audit.inception_weights ({inception_weights}) is not a file")
    if mode == "auto":
        return "inception" if have else "offline"
    return mode


@torch.no_grad()
def extract_features(extractor: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor,
                     batch_size: int = 256, device: torch.device | str = "cpu") -> torch.Tensor:
    out = [extractor(images[i:i + batch_size].to(device)).double().cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(out)
