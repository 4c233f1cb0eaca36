"""Training augmentation of the classifiers (albumentations on uint8 HWC arrays).

Strengths:
- "none": no augmentation.
- "standard": the experiment's data.augment settings (mild; diagnostic classifiers).
- "identity": stronger geometric and photometric jitter, plus noise and blur, that a
  re-identification network must see through (a new scan of the same patient is
  shifted, rotated, exposed differently), while keeping the anatomy that makes the
  identity. No flips: laterality belongs to the patient.

albumentations has its own RNG, which seed_everything does not reach, so every
pipeline gets an explicit seed; DataLoader workers reseed it (see `reseed_worker`).
"""
from __future__ import annotations

from typing import Any

import albumentations as A

STRENGTHS = ("none", "standard", "identity")


def build_classifier_transform(
    augment_cfg: Any, channels: int, seed: int, strength: str = "standard", ignore_enabled: bool = False
) -> A.Compose | None:
    """An albumentations pipeline for uint8 HWC images, or None for strength "none" / augmentation disabled.

    `ignore_enabled` builds the pipeline even when data.augment.enabled is false: the
    augmented-view identity validation needs views whatever the training augmentation.
    """
    if strength not in STRENGTHS:
        raise ValueError(f"augmentation strength {strength!r} is not one of {', '.join(STRENGTHS)}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    if strength == "none" or not (augment_cfg.enabled or ignore_enabled):
        return None
    gain = 2.0 if strength == "identity" else 1.0
    rotate = augment_cfg.rotate_deg * gain
    scale = augment_cfg.scale * gain
    shift = augment_cfg.translate * gain
    transforms: list[A.BasicTransform] = [
        A.Affine(
            rotate=(-rotate, rotate),
            scale=(1 - scale, 1 + scale),
            translate_percent=(-shift, shift),
            border_mode=1,  # cv2.BORDER_REPLICATE: no black wedges for the network to key on
            p=augment_cfg.p,
        ),
        A.RandomBrightnessContrast(
            brightness_limit=augment_cfg.brightness * gain,
            contrast_limit=augment_cfg.contrast * gain,
            p=augment_cfg.p,
        ),
    ]
    if augment_cfg.hflip:
        transforms.append(A.HorizontalFlip(p=0.5))
    if strength == "identity":
        transforms += [
            A.GaussNoise(std_range=(0.01, 0.04), p=0.5),
            A.GaussianBlur(blur_limit=(3, 3), sigma_limit=(0.1, 0.8), p=0.3),
        ]
    return A.Compose(transforms, seed=seed)


def reseed_worker(worker_id: int) -> None:
    """DataLoader worker_init_fn: each worker gets its own albumentations stream.

    Forked workers inherit identical copies of the pipeline's RNG, so without this
    every worker would produce the same augmentations.
    """
    import torch.utils.data as tud

    info = tud.get_worker_info()
    transform = getattr(info.dataset, "transform", None) if info else None
    if transform is not None:
        transform.set_random_seed(int(info.seed % 2**31))
