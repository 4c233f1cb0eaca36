"""Albumentations pipelines for real training images: uint8 HWC numpy -> float [-1, 1] HWC.

Every pipeline carries its own seed: albumentations keeps a private RNG that
`seed_everything` doesn't reach, so an unseeded pipeline would make runs irreproducible.
"""
from __future__ import annotations

import albumentations as A
import cv2
import numpy as np
import torch

from .real_store import to_uint8

STRENGTHS = ("none", "standard", "identity")


def _to_model_range(channels: int) -> A.Normalize:
    # (x / 255 - 0.5) / 0.5 -> [-1, 1]. Scalars for grayscale: the defaults are ImageNet
    # 3-tuples, which fail (or silently broadcast wrongly) on one channel.
    mean, std = (0.5, 0.5) if channels == 1 else ((0.5,) * 3, (0.5,) * 3)
    return A.Normalize(mean=mean, std=std, max_pixel_value=255.0)


def _pose(aug, p: float) -> A.Affine:
    """The configured scan-to-scan motion: rotation, scale and shift."""
    return A.Affine(
        scale=(1 - aug.scale, 1 + aug.scale),
        translate_percent=(-aug.translate, aug.translate),
        rotate=(-aug.rotate_deg, aug.rotate_deg),
        # Reflection, not zeros (black wedges a network could key on) nor replication
        # (edge streaks): mirrored borders keep the image's own texture statistics.
        border_mode=cv2.BORDER_REFLECT_101,
        p=p,
    )


def _standard(aug) -> list[A.BasicTransform]:
    """Small, label-preserving jitter: acquisition differences, not new anatomy."""
    ops: list[A.BasicTransform] = [
        _pose(aug, aug.p),
        A.RandomBrightnessContrast(brightness_limit=aug.brightness, contrast_limit=aug.contrast, p=aug.p),
    ]
    if aug.hflip:
        ops.append(A.HorizontalFlip(p=0.5))
    return ops


def _identity(aug) -> list[A.BasicTransform]:
    """Stronger photometric changes (exposure, contrast, noise, focus) on the standard pose jitter,
    so φ_id recognises a patient across acquisitions instead of memorising one scan.

    Pose stays at the standard magnitudes on purpose: where an organ sits and how big it
    is are identity cues, and the configured jitter already matches scan-to-scan motion.
    Doubling rotation, scale or shift (as an earlier version did) moved the optic disc of
    the fundus phantoms further than patients differ, and their re-identification
    dropped from 0.92 to 0.35 top-1. No flips either, even where the diagnostic task
    allows them: a mirrored vessel tree or ribcage is no scan that patient could produce.
    """
    return [
        _pose(aug, p=0.9),
        A.RandomBrightnessContrast(brightness_limit=2 * aug.brightness, contrast_limit=2 * aug.contrast, p=0.9),
        A.GaussNoise(std_range=(0.01, 0.05), p=0.5),
        A.GaussianBlur(blur_limit=(3, 3), sigma_limit=(0.1, 0.8), p=0.3),
    ]


def build_train_transform(
    augment_cfg, channels: int, seed: int, strength: str = "standard", ignore_enabled: bool = False
) -> A.Compose:
    """Training pipeline of `strength` none | standard | identity ending in [-1, 1] floats.

    `augment_cfg` is cfg.data.augment; `augment_cfg.enabled = false` turns every strength
    into "none" (normalisation only) unless `ignore_enabled`: the augmented-view identity
    validation needs views whatever the training augmentation.
    """
    if strength not in STRENGTHS:
        raise ValueError(f"unknown augmentation strength {strength!r}; choose one of {STRENGTHS}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    ops: list[A.BasicTransform] = []
    active = bool(augment_cfg.enabled or ignore_enabled)
    if active and strength == "standard":
        ops = _standard(augment_cfg)
    elif active and strength == "identity":
        ops = _identity(augment_cfg)
    return A.Compose([*ops, _to_model_range(channels)], seed=int(seed))


def augment_images(images, transform: A.Compose, seed: int):
    """Apply a build_train_transform pipeline to a batch of float images [N, C, H, W] in [-1, 1]
    (any device) -> the same shape, dtype and device.

    Synthetic batches made on the device go through exactly the pipeline real images go
    through: quantised to uint8 as a stored image is, augmented on the CPU by the same
    albumentations ops, and returned. A second, tensor-native copy of the augmentation could
    drift from this one (interpolation, borders), and the comparison of sources would no
    longer be equal; a batch of 64 small images costs milliseconds on the CPU.
    `seed` reseeds the pipeline per batch, so a batch's augmentation is a function of its
    position in training (as the stream's samples are), not of what ran before it.
    """
    transform.set_random_seed(int(seed))
    hwc = to_uint8(images).cpu().permute(0, 2, 3, 1).numpy()
    out = []
    for image in hwc:
        aug = transform(image=np.ascontiguousarray(image))["image"]
        out.append(aug[:, :, None] if aug.ndim == 2 else aug)
    batch = torch.from_numpy(np.ascontiguousarray(np.stack(out).transpose(0, 3, 1, 2)))
    return batch.to(device=images.device, dtype=images.dtype)
