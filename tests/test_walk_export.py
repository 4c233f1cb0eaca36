"""Export of a finite synthetic set: PNG round trip, manifest, atomic replacement."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.data.real_store import to_uint8
from lightning_privgan.walk.export import export_synthetic_set, load_synthetic_set


@pytest.mark.parametrize("channels", [1, 3])
def test_export_round_trips_images_and_manifest(tmp_path, channels):
    images = torch.rand(5, channels, 8, 8) * 2 - 1
    labels, pairs, steps = torch.tensor([0, 1, 1, 0, 1]), torch.tensor([3, 1, 1, 0, 2]), torch.linspace(1, 3, 5)
    folder = export_synthetic_set(tmp_path / "synthetic", images, labels, pairs, steps)
    loaded, manifest = load_synthetic_set(folder)
    assert torch.equal(to_uint8(loaded), to_uint8(images))
    assert manifest["label"].tolist() == labels.tolist() and manifest["pair"].tolist() == pairs.tolist()
    assert manifest["step"].tolist() == pytest.approx(steps.tolist())
    assert list(manifest.columns) == ["path", "label", "pair", "step"]
    assert [p.name for p in tmp_path.iterdir()] == ["synthetic"]  # no temporary folder left behind


def test_export_replaces_an_old_set_and_rejects_mismatched_input(tmp_path):
    export_synthetic_set(tmp_path / "s", torch.zeros(4, 1, 8, 8), torch.zeros(4), torch.zeros(4), torch.zeros(4))
    export_synthetic_set(tmp_path / "s", torch.zeros(2, 1, 8, 8), torch.zeros(2), torch.zeros(2), torch.zeros(2))
    assert len(load_synthetic_set(tmp_path / "s")[1]) == 2
    with pytest.raises(ValueError, match="got 2 images, 3 labels"):
        export_synthetic_set(tmp_path / "t", torch.zeros(2, 1, 8, 8), torch.zeros(3), torch.zeros(2), torch.zeros(2))
    assert not (tmp_path / "t").exists()
