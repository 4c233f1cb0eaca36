"""Chest X-ray phantoms: a fixed anatomy per patient, scan-to-scan pose/exposure changes,
and TB-like upper-lobe opacities for diseased patients (label 1).

Built so that the two properties the privacy experiments need are real:
  * identity: a patient's anatomy (lung/heart geometry, ribs, clavicles, a soft-tissue
    texture) is fixed, so scans of one patient are closer to each other than to others;
  * disease: nodular blotches (some cavitating) plus haze in the upper lung zones,
    visible at 32 px, so a classifier can learn it.
Intensity convention of a radiograph: dense (bone, heart) = bright, air (lungs) = dark.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .drawing import (assign_patient_labels, edge_softness, gaussian_blobs, phantom_random_state, pixel_grid, pose_warp,
                      segment_lines, smooth_noise, soft_ellipse, to_uint8_image)

MAX_LESIONS = 8


@dataclass
class PhantomSet:
    images: torch.Tensor  # uint8 [N, C, H, W]
    labels: np.ndarray  # int [N]
    patient_ids: list[str]  # [N]


def _uniform(rng: np.random.Generator, low: float, high: float, size) -> torch.Tensor:
    return torch.as_tensor(rng.uniform(low, high, size), dtype=torch.float32)


def _anatomy(rng: np.random.Generator, p: int) -> dict[str, torch.Tensor]:
    """Seeded per-patient shape parameters (image units, [-1, 1] coordinates)."""
    u = lambda lo, hi, size=p: _uniform(rng, lo, hi, size)  # noqa: E731
    return {
        "body_w": u(0.78, 0.95), "body_cy": u(0.05, 0.2),
        "lung_x": u(0.30, 0.42, (p, 2)), "lung_y": u(-0.08, 0.08, (p, 2)),
        "lung_ax": u(0.19, 0.28, (p, 2)), "lung_ay": u(0.42, 0.58, (p, 2)),
        "heart_x": u(0.04, 0.18), "heart_y": u(0.22, 0.36), "heart_ax": u(0.20, 0.30), "heart_ay": u(0.16, 0.24),
        "spine_w": u(0.07, 0.12),
        "rib_spacing": u(0.13, 0.18), "rib_phase": u(0, 1), "rib_curve": u(0.4, 0.9),
        "clav_y": u(-0.72, -0.58), "clav_tilt": u(-0.12, 0.05),
    }


def _lesions(rng: np.random.Generator, anat: dict, labels: np.ndarray):
    """Upper-lobe nodules for diseased patients: centres [P, K, 2], radii, amplitudes [P, K]."""
    p = len(labels)
    side = rng.integers(0, 2, (p, MAX_LESIONS))  # which lung each nodule sits in
    lung_x = anat["lung_x"].numpy()[np.arange(p)[:, None], side] * np.where(side == 0, -1, 1)
    lung_y = anat["lung_y"].numpy()[np.arange(p)[:, None], side]
    ax = anat["lung_ax"].numpy()[np.arange(p)[:, None], side]
    ay = anat["lung_ay"].numpy()[np.arange(p)[:, None], side]
    cx = lung_x + rng.uniform(-0.55, 0.55, (p, MAX_LESIONS)) * ax
    cy = lung_y - rng.uniform(0.2, 0.75, (p, MAX_LESIONS)) * ay  # upper zones: y is negative upwards
    radii = rng.uniform(0.07, 0.13, (p, MAX_LESIONS))
    amps = rng.uniform(0.22, 0.38, (p, MAX_LESIONS))
    count = rng.integers(4, MAX_LESIONS + 1, p)
    amps = amps * (np.arange(MAX_LESIONS)[None] < count[:, None]) * (labels[:, None] == 1)
    centres = np.stack([cx, cy], -1)
    # A cavity: the first nodule of ~40% of diseased patients gets a dark centre (a ring).
    cavity = (rng.uniform(size=p) < 0.4) & (labels == 1)
    cav_amp = -amps[:, 0] * 0.9 * cavity
    # Diffuse infiltrate: a broad faint haze over one apex.
    apex = np.stack([lung_x[:, 0], lung_y[:, 0] - 0.5 * ay[:, 0]], -1)[:, None]
    haze_amp = rng.uniform(0.06, 0.12, p) * (labels == 1)
    centres = np.concatenate([centres, centres[:, :1], apex], 1)
    radii = np.concatenate([radii, radii[:, :1] * 0.45, np.full((p, 1), 0.22)], 1)
    amps = np.concatenate([amps, cav_amp[:, None], haze_amp[:, None]], 1)
    f = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    return f(centres), f(radii), f(amps)


def render_cxr_patients(anat: dict, lesions, texture: torch.Tensor, resolution: int) -> torch.Tensor:
    """Canonical (pose-free) image of every patient: float [P, 1, H, W] in about [0, 1]."""
    x, y = pixel_grid(resolution)
    soft = edge_softness(resolution)
    p = anat["body_w"].shape[0]
    ones = torch.ones(p)
    body = soft_ellipse(x, y, 0 * ones, anat["body_cy"], anat["body_w"], 1.25 * ones, soft)
    lungs = torch.zeros(p, resolution, resolution)
    for i, sign in enumerate((-1.0, 1.0)):
        cx, cy = sign * anat["lung_x"][:, i], anat["lung_y"][:, i]
        ax, ay = anat["lung_ax"][:, i], anat["lung_ay"][:, i]
        # Lungs widen towards the diaphragm: squeeze x by the relative height in the lung.
        widen = 1 + 0.25 * ((y - cy.view(-1, 1, 1)) / ay.view(-1, 1, 1)).clamp(-1, 1)
        x_shaped = cx.view(-1, 1, 1) + (x - cx.view(-1, 1, 1)) / widen
        lungs = lungs + soft_ellipse(x_shaped, y, cx, cy, ax, ay, soft)
    lungs = lungs.clamp(0, 1)
    heart = soft_ellipse(x, y, anat["heart_x"], anat["heart_y"], anat["heart_ax"], anat["heart_ay"], soft)
    col = {k: v.view(-1, 1, 1) for k, v in anat.items() if v.ndim == 1}  # [P] -> [P, 1, 1]
    spine = torch.sigmoid((col["spine_w"] - x.abs()) / soft) * body
    # Posterior ribs curve downwards laterally: bands of constant y - curve * x².
    rib_u = (y - col["rib_curve"] * x**2) / col["rib_spacing"] + col["rib_phase"]
    ribs = (0.5 + 0.5 * torch.cos(2 * torch.pi * rib_u)) ** 6 * (x.abs() > col["spine_w"]).float()
    clav = torch.stack(
        [torch.stack([s * 0.1 * ones, anat["clav_y"], s * 0.62 * ones, anat["clav_y"] + anat["clav_tilt"]], -1)
         for s in (-1, 1)],
        1,
    )
    clavicles = segment_lines(x, y, clav, torch.full((p, 2), 0.045))
    nodules = gaussian_blobs(x, y, *lesions).clamp(min=-0.3) * lungs
    density = (
        0.55 * body
        - 0.36 * lungs * (1 - 0.7 * heart)
        + 0.22 * heart
        + 0.2 * spine
        + 0.11 * ribs * body
        + 0.2 * clavicles * body
        + nodules
        + 0.07 * texture[:, 0] * body  # soft-tissue texture: part of the identity
    )
    return (0.08 + density)[:, None]


def make_cxr_phantoms(
    num_patients: int, scans_per_patient: int, prevalence: float, resolution: int, seed: int
) -> PhantomSet:
    """`num_patients * scans_per_patient` grayscale chest X-rays, deterministic from `seed`."""
    rng, gen = phantom_random_state(num_patients, scans_per_patient, seed)
    labels = assign_patient_labels(rng, num_patients, prevalence)
    anat = _anatomy(rng, num_patients)
    lesions = _lesions(rng, anat, labels)
    texture = smooth_noise(gen, num_patients, 1, resolution)
    canonical = render_cxr_patients(anat, lesions, texture, resolution)

    n = num_patients * scans_per_patient
    patient_of_scan = np.repeat(np.arange(num_patients), scans_per_patient)
    u = lambda lo, hi, size=n: _uniform(rng, lo, hi, size)  # noqa: E731
    scans = pose_warp(
        canonical[torch.as_tensor(patient_of_scan)],
        rotation_deg=u(-3, 3),
        shift_xy=u(-0.04, 0.04, (n, 2)),
        scale_xy=u(0.97, 1.03, (n, 1)) * torch.stack([torch.ones(n), u(0.98, 1.02)], 1),  # + breathing
    )
    # Exposure and detector: gain, offset, gamma (contrast) and quantum noise per scan.
    gain, offset, gamma = (u(lo, hi).view(-1, 1, 1, 1) for lo, hi in ((0.9, 1.1), (-0.04, 0.04), (0.85, 1.15)))
    scans = (scans.clamp(0, 1) ** gamma) * gain + offset
    scans = scans + u(0.01, 0.03).view(-1, 1, 1, 1) * torch.randn(scans.shape, generator=gen)
    return PhantomSet(
        images=to_uint8_image(scans),
        labels=labels[patient_of_scan],
        patient_ids=[f"cxr{p:05d}" for p in patient_of_scan],
    )
