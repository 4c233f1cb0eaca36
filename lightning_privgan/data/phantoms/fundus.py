"""Colour fundus phantoms: a per-patient vessel tree, optic disc and pigmentation, and
diabetic-retinopathy grade 0-4 drawn as lesions in increasing amount (ICDR-like):
  1 mild: microaneurysms only; 2 moderate: + haemorrhages and hard exudates;
  3 severe: more of everything; 4 proliferative: + neovascularisation at the disc.
Each patient is one eye; its scans differ by pose, illumination and noise only.
"""
from __future__ import annotations

import numpy as np
import torch

from .cxr import PhantomSet
from .drawing import (edge_softness, gaussian_blobs, phantom_random_state, pixel_grid, polyline_points, pose_warp,
                      render_points, smooth_noise, soft_ellipse, to_uint8_image)

NUM_GRADES = 5
# Lesion counts per grade: microaneurysms, haemorrhages, hard exudates, new-vessel segments.
MICROANEURYSMS = (0, 5, 10, 16, 22)
HAEMORRHAGES = (0, 0, 4, 8, 12)
EXUDATES = (0, 0, 4, 9, 14)
NEOVESSELS = (0, 0, 0, 0, 14)
ARCADES, ARCADE_STEPS, BRANCHES, BRANCH_STEPS = 4, 7, 6, 4
VESSEL_CALIBRES = (0.011, 0.016, 0.024)  # Gaussian radii, image units
MICROANEURYSM_RADIUS, HAEMORRHAGE_RADIUS, EXUDATE_RADIUS = 0.032, 0.07, 0.038
MAX_SEGMENTS = ARCADES * ARCADE_STEPS + BRANCHES * BRANCH_STEPS + max(NEOVESSELS)


def assign_grades(rng: np.random.Generator, num_patients: int, prevalence: float) -> np.ndarray:
    """round(prevalence * P) patients with DR (grades 1-4, balanced), the others grade 0."""
    if not 0.0 <= prevalence <= 1.0:
        raise ValueError(f"data.phantom.prevalence must lie in [0, 1], got {prevalence}")
    diseased = int(round(prevalence * num_patients))
    grades = np.zeros(num_patients, dtype=np.int64)
    grades[:diseased] = 1 + np.arange(diseased) % (NUM_GRADES - 1)
    return grades[rng.permutation(num_patients)]


def _random_walk(rng, start: np.ndarray, heading: np.ndarray, steps: int, step_len, turn_sd: float, bend: np.ndarray):
    """Polylines from `start` [P, 2]: segments [P, steps, 4]. `bend` [P] is a steady curvature."""
    segs, pos, angle = [], start.copy(), heading.copy()
    for _ in range(steps):
        angle = angle + bend + rng.normal(0, turn_sd, angle.shape)
        nxt = pos + step_len * np.stack([np.cos(angle), np.sin(angle)], -1)
        segs.append(np.concatenate([pos, nxt], -1))
        pos = nxt
    return np.stack(segs, 1)


def _patients(rng: np.random.Generator, grades: np.ndarray) -> dict:
    """Seeded per-eye geometry, colours and lesions (numpy)."""
    p = len(grades)
    side = rng.choice([-1.0, 1.0], p)  # which eye: the disc sits nasally
    disc = np.stack([side * rng.uniform(0.32, 0.45, p), rng.uniform(-0.08, 0.08, p)], -1)
    macula = disc + np.stack([-side * rng.uniform(0.7, 0.8, p), rng.uniform(0.0, 0.08, p)], -1)
    segs, widths = [], []
    # Arcades leave the disc vertically and bend temporally around the macula
    # (image y points down: up = -1 is superior); nasal vessels run almost straight.
    for up in (-1.0, 1.0):
        for temporal in (True, False):
            lean = -side * 0.35 if temporal else side * 1.0
            heading = np.arctan2(np.full(p, up) * (1.0 if temporal else 0.6), lean)
            bend = up * side * (0.22 if temporal else -0.05) * rng.uniform(0.7, 1.3, p)
            step = rng.uniform(0.1, 0.13, (p, 1))
            segs.append(_random_walk(rng, disc, heading, ARCADE_STEPS, step, 0.12, bend))
            widths.append(np.linspace(0.03, 0.014, ARCADE_STEPS)[None].repeat(p, 0))
    trunk = np.concatenate(segs, 1)
    for _ in range(BRANCHES):
        node = trunk[np.arange(p), rng.integers(1, trunk.shape[1], p), :2]
        segs.append(_random_walk(rng, node, rng.uniform(-np.pi, np.pi, p), BRANCH_STEPS, 0.09, 0.3, np.zeros(p)))
        widths.append(np.linspace(0.016, 0.01, BRANCH_STEPS)[None].repeat(p, 0))
    # Neovascularisation: tortuous fine vessels near the disc.
    neo_count = np.array(NEOVESSELS)[grades]
    neo_start, neo_heading = disc + rng.normal(0, 0.05, (p, 2)), rng.uniform(-np.pi, np.pi, p)
    segs.append(_random_walk(rng, neo_start, neo_heading, max(NEOVESSELS), 0.05, 1.2, np.zeros(p)))
    widths.append(0.011 * (np.arange(max(NEOVESSELS))[None] < neo_count[:, None]))

    def spots(counts, near=None, spread=0.45):
        k = max(counts)
        if near is None:  # anywhere inside the retina
            angle, rad = rng.uniform(0, 2 * np.pi, (p, k)), 0.8 * np.sqrt(rng.uniform(0, 1, (p, k)))
            centres = np.stack([rad * np.cos(angle), rad * np.sin(angle)], -1)
        else:  # clustered (hard exudates gather around the macula)
            centres = near[:, None] + rng.normal(0, spread / 2, (p, k, 2))
        live = np.arange(k)[None] < np.array(counts)[grades][:, None]
        return f(centres), f(live * rng.uniform(0.7, 1.0, (p, k)))

    f = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
    return {
        "disc": f(disc), "disc_r": f(rng.uniform(0.11, 0.15, p)), "cup": f(rng.uniform(0.35, 0.6, p)),
        "macula": f(macula),
        "base": f(np.stack([rng.uniform(0.62, 0.85, p), rng.uniform(0.22, 0.38, p), rng.uniform(0.06, 0.16, p)], -1)),
        "vessels": f(np.concatenate(segs, 1)), "vessel_w": f(np.concatenate(widths, 1)),
        "microaneurysms": spots(MICROANEURYSMS), "haemorrhages": spots(HAEMORRHAGES),
        "exudates": spots(EXUDATES, near=macula),
    }


def _vessel_map(segments: torch.Tensor, widths: torch.Tensor, resolution: int) -> torch.Tensor:
    """Vessel darkness [P, H, W] in [0, 1]: segments drawn at the nearest of a few calibres."""
    levels = torch.tensor(VESSEL_CALIBRES)
    nearest = (widths[..., None] - levels).abs().argmin(-1)
    out = torch.zeros(segments.shape[0], resolution, resolution)
    for i, radius in enumerate(VESSEL_CALIBRES):
        points, weights = polyline_points(segments, resolution, radius)
        n = points.shape[1] // segments.shape[1]
        keep = ((nearest == i) & (widths > 0)).float().repeat_interleave(n, 1)
        out = torch.maximum(out, render_points(points, weights * keep, radius, resolution))
    return out.clamp(0, 1)


def render_fundus_patients(pat: dict, texture: torch.Tensor, resolution: int, lesions: bool = True) -> torch.Tensor:
    """Canonical image of every eye: float RGB [P, 3, H, W] in about [0, 1]."""
    x, y = pixel_grid(resolution)
    soft = edge_softness(resolution)
    p = pat["disc"].shape[0]
    ones = torch.ones(p)
    retina = soft_ellipse(x, y, 0 * ones, 0 * ones, 0.93 * ones, 0.93 * ones, soft)[:, None]
    vignette = (1 - 0.35 * (x**2 + y**2))[:, None]
    img = pat["base"].view(-1, 3, 1, 1) * vignette * (1 + 0.08 * texture)
    macula = gaussian_blobs(x, y, pat["macula"][:, None], 0.16 * ones[:, None], 0.45 * ones[:, None])[:, None]
    img = img * (1 - macula)
    disc = soft_ellipse(x, y, pat["disc"][:, 0], pat["disc"][:, 1], pat["disc_r"], pat["disc_r"], soft)[:, None]
    cup_r = pat["disc_r"] * pat["cup"]
    cup = soft_ellipse(x, y, pat["disc"][:, 0], pat["disc"][:, 1], cup_r, cup_r, soft)[:, None]
    img = img + disc * (torch.tensor([0.95, 0.78, 0.5]).view(1, 3, 1, 1) - img)
    img = img + cup * (torch.tensor([1.0, 0.95, 0.8]).view(1, 3, 1, 1) - img)
    widths = pat["vessel_w"].clone()
    if not lesions:  # new vessels are lesions too
        widths[:, MAX_SEGMENTS - max(NEOVESSELS) :] = 0
    vessels = _vessel_map(pat["vessels"], widths, resolution)[:, None]
    img = img * (1 - vessels * torch.tensor([0.35, 0.62, 0.55]).view(1, 3, 1, 1))
    if lesions:
        red = render_points(*pat["microaneurysms"], MICROANEURYSM_RADIUS, resolution)
        red = red + render_points(*pat["haemorrhages"], HAEMORRHAGE_RADIUS, resolution)
        img = img * (1 - red.clamp(0, 1)[:, None] * torch.tensor([0.5, 0.85, 0.8]).view(1, 3, 1, 1))
        yellow = render_points(*pat["exudates"], EXUDATE_RADIUS, resolution).clamp(0, 1)[:, None]
        img = img + yellow * (torch.tensor([0.98, 0.9, 0.35]).view(1, 3, 1, 1) - img)
    return img * retina


def make_fundus_phantoms(
    num_patients: int, scans_per_patient: int, prevalence: float, resolution: int, seed: int
) -> PhantomSet:
    """`num_patients * scans_per_patient` RGB fundus photographs with DR grades 0-4."""
    rng, gen = phantom_random_state(num_patients, scans_per_patient, seed)
    grades = assign_grades(rng, num_patients, prevalence)
    texture = smooth_noise(gen, num_patients, 3, resolution)
    canonical = render_fundus_patients(_patients(rng, grades), texture, resolution)

    n = num_patients * scans_per_patient
    patient_of_scan = np.repeat(np.arange(num_patients), scans_per_patient)
    u = lambda lo, hi, size=n: torch.as_tensor(rng.uniform(lo, hi, size), dtype=torch.float32)  # noqa: E731
    scans = pose_warp(
        canonical[torch.as_tensor(patient_of_scan)],
        rotation_deg=u(-8, 8),
        shift_xy=u(-0.03, 0.03, (n, 2)),
        scale_xy=u(0.97, 1.03, (n, 1)).expand(-1, 2),
        padding_mode="zeros",  # outside the camera's field stop is black
    )
    # Illumination: overall brightness, a colour cast, gamma; then sensor noise.
    cast = u(0.92, 1.08, (n, 3)).view(-1, 3, 1, 1) * u(0.85, 1.15).view(-1, 1, 1, 1)
    scans = scans.clamp(0, 1) ** u(0.85, 1.15).view(-1, 1, 1, 1) * cast
    scans = scans + u(0.008, 0.02).view(-1, 1, 1, 1) * torch.randn(scans.shape, generator=gen)
    return PhantomSet(
        images=to_uint8_image(scans),
        labels=grades[patient_of_scan],
        patient_ids=[f"eye{p:05d}" for p in patient_of_scan],
    )
