import pytest
import torch
from omegaconf import OmegaConf

from lightning_privgan.models.discriminator_io import load_discriminator
from lightning_privgan.models.gan_module import GANModule
from lightning_privgan.models.stylegan2.networks import build_gan_networks


def test_the_discriminator_comes_back_from_a_gan_checkpoint_with_its_weights(cpu_cfg, tmp_path):
    cfg = cpu_cfg({"data": {"resolution": 16}})
    torch.manual_seed(0)
    G, D = build_gan_networks(cfg.gan, 2, 1, 16)
    module = GANModule(G, D, OmegaConf.to_container(cfg.gan, resolve=True))
    # What Lightning's save_checkpoint writes, in the parts the loader reads.
    torch.save({"state_dict": module.state_dict(), "hyper_parameters": dict(module.hparams),
                "gan_progress": {"kimg": 1.5}}, tmp_path / "last.ckpt")
    loaded, kimg = load_discriminator(tmp_path / "last.ckpt")
    assert kimg == 1.5 and loaded.c_dim == D.c_dim
    x, c = torch.randn(2, 1, 16, 16), torch.eye(2)
    assert torch.allclose(loaded(x, c), D.eval()(x, c))


def test_a_missing_or_foreign_checkpoint_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_discriminator(tmp_path / "none.ckpt")
    torch.save({"state_dict": {}}, tmp_path / "other.ckpt")
    with pytest.raises(ValueError, match="not a checkpoint of the gan stage"):
        load_discriminator(tmp_path / "other.ckpt")
