"""Fréchet distance and kernel inception distance of every source, on the same number of images.

The FD is the project's one Fréchet distance (frechet.py, which the GAN's FD curve and the data
card use too: float64 statistics, both matrix roots from symmetric eigendecompositions), on our
own feature network (fd_features.py: Inception-v3 with local weights, else the GAN stage's
offline encoder, else the auditor's embedding). It agrees with torchmetrics'
FrechetInceptionDistance on the same features to ~1e-8 relative (tests/metrics/test_fd_kid.py).
The KID is the project's one estimator (kid.py, which the data card reports too), on random
subsets drawn as torchmetrics' KernelInceptionDistance draws them.

Equal n: FD is biased upward at small n (its covariance estimates are), and the bias depends
on n, so an FD of 96 k-same anchors and one of 512 PLAN samples are not comparable. Every
source is subsampled (seeded, without replacement) to the same n, by default the smallest
source (`equal_sample_size`); the real reference (the train split) is the same for all. KID is
unbiased at any n; it is reported as mean ± std over `subsets` random subsets of half the n.
"""
from __future__ import annotations

from typing import Callable, Mapping, Optional

import torch
from torch import nn

from .frechet import extract_features, fd_of_features
from .kid import subset_kid


class FeatureNet(nn.Module):
    """An images -> features callable as the nn.Module torchmetrics wants; batches on `device`."""

    def __init__(self, extractor: Callable[[torch.Tensor], torch.Tensor], num_features: int,
                 device: torch.device | str, batch_size: int) -> None:
        super().__init__()
        self.extractor, self.num_features, self.device, self.batch_size = extractor, int(num_features), device, batch_size

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return extract_features(self.extractor, images, self.batch_size, self.device)  # float64, CPU


def feature_net(extractor: Callable[[torch.Tensor], torch.Tensor], probe: torch.Tensor, device,
                batch_size: int) -> FeatureNet:
    """FeatureNet whose width is read from one real image (torchmetrics would probe 299 px RGB noise)."""
    with torch.no_grad():
        width = extractor(probe[:1].to(device)).shape[-1]
    return FeatureNet(extractor, width, device, batch_size)


def equal_sample_size(counts: Mapping[str, int], requested: Optional[int] = None) -> int:
    """The n every source is measured at: `requested` (audit.fd_samples), else the smallest source."""
    if not counts:
        raise ValueError("no source to measure")
    smallest = min(counts, key=counts.get)
    if requested is None:
        n = counts[smallest]
    elif requested > counts[smallest]:
        raise ValueError(f"audit.fd_samples={requested} but source {smallest!r} has only {counts[smallest]} images; "
                         "lower it or leave it null (= the smallest source)")
    else:
        n = requested
    return int(n)


def subsample(images: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    if n > len(images):
        raise ValueError(f"cannot take {n} of {len(images)} images")
    return images[torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n]]


MIN_SAMPLES = 4  # a covariance and KID subsets of two need a few images; fewer: the audit skips FD/KID


class DistributionMetrics:
    """FD and KID of any number of sources against one real reference, all at n images per source."""

    def __init__(self, features: FeatureNet, real_images: torch.Tensor, n: int, kid_subsets: int, seed: int):
        self.n, self.seed, self.features, self.kid_subsets = n, seed, features, int(kid_subsets)
        self.kid_subset_size = max(2, min(n, len(real_images)) // 2)
        self.real_features = features(real_images)

    def measure(self, images: torch.Tensor, seed: int) -> dict:
        """{'fd', 'kid_mean', 'kid_std', 'n', 'kid_subset_size'} of `images` subsampled to n."""
        fake = subsample(images, self.n, seed)
        fake_features = self.features(fake)
        kid_mean, kid_std = subset_kid(self.real_features, fake_features, self.kid_subsets, self.kid_subset_size, seed)
        return {"fd": fd_of_features(self.real_features, fake_features), "kid_mean": float(kid_mean), "kid_std": float(kid_std),
                "n": self.n, "kid_subset_size": self.kid_subset_size}
