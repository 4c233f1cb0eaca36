"""The projector recovers images that the generator can make."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.config.sections.gan import ProjectionConfig
from lightning_privgan.models.inversion import mean_w, project, psnr_from_mse
from tests.helpers.generated_images import generated  # noqa: F401


def _start_psnr(G, images, labels):
    start, _ = mean_w(G, labels)
    with torch.no_grad():
        recon = G.synthesis(start[:, None].repeat(1, G.mapping.num_ws, 1)).clamp(-1, 1)
    return psnr_from_mse((recon - images).square().mean(dim=[1, 2, 3]))


def test_projection_in_w_recovers_generated_images(generated):
    G, images, labels = generated
    res = project(G, images, labels, ProjectionConfig(steps=300, lr=0.2, batch_size=4), w_plus=False, progress=False)
    assert res.w.shape == (4, G.w_dim)
    assert res.psnr.mean() >= 25.0, res.psnr
    assert (res.psnr > _start_psnr(G, images, labels) + 5).all()
    with torch.no_grad():  # the reported error is the error of the returned w
        recon = G.synthesis(res.w[:, None].repeat(1, G.mapping.num_ws, 1)).clamp(-1, 1)
    assert torch.allclose(res.recon_error, (recon - images).square().mean(dim=[1, 2, 3]), rtol=1e-4, atol=1e-7)


def test_projection_in_w_plus_batches(generated):
    G, images, labels = generated
    # batch_size 3 splits the 4 images into two batches
    res = project(G, images, labels, ProjectionConfig(steps=150, lr=0.1, batch_size=3), w_plus=True, progress=False)
    assert res.w.shape == (4, G.mapping.num_ws, G.w_dim)
    assert (res.psnr >= 25.0).all(), res.psnr


def test_projection_rejects_bad_input(generated):
    G, images, labels = generated
    with pytest.raises(ValueError, match="one label per image"):
        project(G, images, None, progress=False)
    with pytest.raises(ValueError, match=r"images must be \[N, 1, 16, 16\]"):
        project(G, images.repeat(1, 3, 1, 1), labels, progress=False)


@pytest.fixture(autouse=True)
def single_thread():
    # Hundreds of tiny synthesis passes: on a shared 2-core machine, two intra-op
    # threads mostly wait for each other (measured ~10x slower).
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
