"""Offline feature extractor for the Fréchet distance when no Inception weights are on disk.

A small CNN trained in a few epochs on the real train split to predict both the
diagnostic label and the patient: its penultimate features then respond to what
matters in these images (anatomy, pathology, identity cues), which a random-init
network would not. It is trained once per GAN run and saved, so every point of the
FD curve (and a resumed run) uses the same features.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from ..core.atomic import torch_save_atomic


class OfflineEncoder(nn.Module):
    def __init__(self, channels: int, num_labels: int, num_patients: int, width: int = 32, feature_dim: int = 128):
        super().__init__()
        self.init_kwargs = dict(channels=channels, num_labels=num_labels, num_patients=num_patients,
                                width=width, feature_dim=feature_dim)
        layers, c_in = [], channels
        for c_out in (width, width * 2, width * 4):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
            c_in = c_out
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, feature_dim))
        self.label_head = nn.Linear(feature_dim, num_labels)
        self.patient_head = nn.Linear(feature_dim, num_patients)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        """Features [N, feature_dim] of images in [-1, 1]."""
        return self.body(img.clamp(-1, 1))


def train_offline_encoder(images: torch.Tensor, labels: torch.Tensor, patient_ids, *, epochs: int, seed: int,
                          batch_size: int = 64, device: str | torch.device = "cpu") -> OfflineEncoder:
    if len(images) < 2:
        raise ValueError("the offline FD encoder needs at least 2 real training images")
    _, patient_index = np.unique(np.asarray(patient_ids), return_inverse=True)
    patients = torch.as_tensor(patient_index, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = OfflineEncoder(images.shape[1], int(labels.max()) + 1, int(patients.max()) + 1).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=gen)
        for start in range(0, len(order) - 1, batch_size):
            idx = order[start:start + batch_size]
            if len(idx) < 2:  # BatchNorm needs two samples
                continue
            x = images[idx].to(device)
            # Light flips/shifts so the features do not memorise single pixels.
            x = torch.roll(x, shifts=tuple(torch.randint(-2, 3, (2,), generator=gen).tolist()), dims=(2, 3))
            feats = net(x)
            loss = F.cross_entropy(net.label_head(feats), labels[idx].to(device)) + \
                F.cross_entropy(net.patient_head(feats), patients[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return net.eval().requires_grad_(False)


def save_offline_encoder(net: OfflineEncoder, path: str | Path) -> None:
    torch_save_atomic({"kwargs": net.init_kwargs, "state_dict": net.state_dict()}, path)


def load_offline_encoder(path: str | Path) -> OfflineEncoder:
    blob = torch.load(path, map_location="cpu", weights_only=True)
    net = OfflineEncoder(**blob["kwargs"])
    net.load_state_dict(blob["state_dict"])
    return net.eval().requires_grad_(False)
