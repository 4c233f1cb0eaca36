"""The real-image gate: real patient images are never published unless allowed."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.audit.figures import image_grid, save_image_grid
from lightning_privgan.audit.real_image_guard import RealImagePolicyError, check_publishable, may_publish


def test_policy_table():
    assert may_publish("synthetic", allow_real_images=False)
    assert not may_publish("real", allow_real_images=False)
    assert may_publish("real", allow_real_images=True)
    with pytest.raises(ValueError, match="origin"):
        may_publish("unknown", allow_real_images=True)
    with pytest.raises(RealImagePolicyError, match="allow_real_images"):
        check_publishable("real", False, "test")


def test_grid_writer_refuses_real_images_and_writes_nothing(tmp_path):
    images = torch.rand(4, 1, 8, 8) * 2 - 1
    with pytest.raises(RealImagePolicyError):
        save_image_grid(images, tmp_path / "real.png", origin="real", allow_real_images=False)
    assert not (tmp_path / "real.png").exists()
    assert save_image_grid(images, tmp_path / "real.png", origin="real", allow_real_images=True).is_file()
    assert save_image_grid(images, tmp_path / "syn.png", origin="synthetic", allow_real_images=False).is_file()


def test_image_grid_layout():
    images = torch.full((3, 3, 4, 4), 1.0)
    grid = image_grid(images, nrow=2, pad=1)
    assert grid.shape == (11, 11, 3) and grid.dtype == torch.uint8
    assert grid[1, 1, 0] == 255 and grid[0, 0, 0] == 0 and grid[6, 6, 0] == 0  # third cell is absent
