"""The wrapped NVIDIA network pickle: interface, conditioning, mean latent, errors, generator.pt records."""
from __future__ import annotations

import pickle

import pytest
import torch
import torch.nn.functional as F

from lightning_privgan.models.generator_io import PICKLE_FORMAT, load_generator, save_generator
from lightning_privgan.models.latent_generator import LatentGenerator
from lightning_privgan.models.nvidia_generator import NvidiaGenerator
from tests.helpers.nvidia_pickle_standin import write_network_pickle


@pytest.fixture
def pkl(tmp_path):
    path = tmp_path / "network-snapshot-000100.pkl"
    original = write_network_pickle(path, z_dim=8, c_dim=2, w_dim=8, resolution=16, channels=1)
    return path, original


def test_wrapper_sizes_map_and_synthesize(pkl):
    path, original = pkl
    G = NvidiaGenerator.from_pickle(path)
    assert isinstance(G, LatentGenerator)
    assert (G.z_dim, G.c_dim, G.w_dim, G.num_ws, G.img_channels, G.img_resolution) == (8, 2, 8, 3, 1, 16)
    z, labels = torch.randn(5, 8), torch.tensor([0, 1, 1, 0, 1])
    ws = G.map(z, labels)
    assert ws.shape == (5, 3, 8)
    # one-hot conditioning, as their generate.py builds c
    assert torch.equal(ws, original.mapping(z, F.one_hot(labels, 2).float()))
    assert not torch.equal(ws, G.map(z, 1 - labels))
    # truncation pulls towards the pickled mean latent, which the wrapper exposes
    assert torch.allclose(G.map(z, labels, truncation_psi=0.0)[:, 0], G.w_avg.expand(5, -1))
    assert torch.equal(G.w_avg, original.mapping.w_avg) and G.w_avg.abs().sum() > 0
    images = G.synthesize(ws, noise_mode="const")
    assert images.shape == (5, 1, 16, 16) and images.abs().max() <= 1
    assert G.net.synthesis.last_kwargs == {"noise_mode": "const", "force_fp32": True}
    # a W latent is one w for every layer
    assert torch.equal(G.synthesize(ws[:, 0]), images)
    with pytest.raises(ValueError, match="needs one class index"):
        G.map(z)


def test_unconditional_pickle_gets_an_empty_c_and_stays_in_eval_mode(tmp_path):
    path = tmp_path / "uncond.pkl"
    write_network_pickle(path, c_dim=0, resolution=8)
    G = NvidiaGenerator.from_pickle(path)
    w_avg = G.w_avg.clone()
    assert G.map(torch.randn(3, 8)).shape == (3, 2, 8)  # the stand-in asserts c is [N, 0]
    G.train()  # their mapping moves w_avg in training mode: the wrapper never lets it
    G.map(torch.randn(64, 8))
    assert not G.net.training and torch.equal(G.w_avg, w_avg)


def test_walk_gradient_reaches_the_latents_through_the_pickled_network(pkl):
    G = NvidiaGenerator.from_pickle(pkl[0])
    w = G.map(torch.randn(2, 8), torch.tensor([0, 1]))[:, 0].clone().requires_grad_(True)
    G.synthesize(w).square().mean().backward()
    assert w.grad is not None and w.grad.abs().sum() > 0
    assert all(p.grad is None for p in G.parameters())


def test_check_data_names_every_mismatch(pkl):
    G = NvidiaGenerator.from_pickle(pkl[0])
    G.check_data(num_classes=2, channels=1, resolution=16)
    with pytest.raises(ValueError) as err:
        G.check_data(num_classes=5, channels=3, resolution=32, what="gan.pretrained")
    text = str(err.value)
    assert "gan.pretrained" in text and "2 classes but the data has 5" in text
    assert "data.channels=1" in text and "data.resolution=16" in text


@pytest.mark.parametrize("content, error, message", [
    # what their pickles reference: torch_utils.persistence, absent here
    (b"ctorch_utils.persistence\n_reconstruct_persistent_obj\n.", ModuleNotFoundError,
     "torch_utils.*dnnlib and torch_utils.*PYTHONPATH"),
    (b"cdnnlib.tflib.network\nNetwork\n.", ValueError, "TensorFlow.*legacy.py"),
    (pickle.dumps({"G": 1, "D": 2}), ValueError, "no 'G_ema'.*'D', 'G'"),
    (pickle.dumps({"G_ema": 1}), ValueError, "'G_ema' is a int"),
    (pickle.dumps({"G_ema": torch.nn.Linear(1, 1)}), ValueError, "lacks z_dim, c_dim.*mapping, synthesis"),
    (b"not a pickle", ValueError, "not a readable network pickle"),
])
def test_pickle_errors_are_explained(tmp_path, content, error, message):
    path = tmp_path / "net.pkl"
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        NvidiaGenerator.from_pickle(path)


def test_a_missing_pickle_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.pkl"):
        NvidiaGenerator.from_pickle(tmp_path / "missing.pkl")


def test_generator_record_copies_the_pickle_and_checks_its_bytes(pkl, tmp_path):
    path, _ = pkl
    G = load_generator(path)  # a pickle loads directly too
    out = tmp_path / "run" / "gan" / "generator.pt"
    save_generator(G, out)
    record = torch.load(out, weights_only=True)
    assert record["format"] == PICKLE_FORMAT and record["pickle"] == "generator.pkl"
    assert (out.parent / "generator.pkl").read_bytes() == path.read_bytes() and record["sha256"] == G.sha256
    again = load_generator(out)
    assert isinstance(again, NvidiaGenerator) and not again.training
    z, labels = torch.randn(4, 8), torch.tensor([0, 1, 0, 1])
    assert torch.equal(again.synthesize(again.map(z, labels)), G.synthesize(G.map(z, labels)))
    save_generator(again, out)  # saving what was loaded from the record keeps the same copy
    assert load_generator(out).sha256 == G.sha256

    # the run's copy altered: loading it says so instead of walking another network
    copy = out.parent / "generator.pkl"
    copy.write_bytes(copy.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="changed since it was recorded"):
        load_generator(out)
    # the source changed between loading and saving: nothing is written from the new bytes
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="changed since this generator was loaded"):
        save_generator(G, tmp_path / "elsewhere" / "generator.pt")
    with pytest.raises(TypeError, match="Linear"):
        save_generator(torch.nn.Linear(2, 2), tmp_path / "x.pt")


class _RunsCodeWhenUnpickled:
    """A pickle payload as an attacker would write one (here it only writes a line to stderr)."""

    def __reduce__(self):
        import os

        return os.write, (2, b"PAYLOAD RAN\n")


def test_a_users_pickle_is_announced_with_its_sha256_before_it_runs_code(tmp_path, capfd):
    import hashlib

    path = tmp_path / "net.pkl"
    path.write_bytes(pickle.dumps({"G_ema": _RunsCodeWhenUnpickled()}))
    with pytest.raises(ValueError, match="'G_ema' is a int"):
        NvidiaGenerator.from_pickle(path)
    err = capfd.readouterr().err
    notice = f"loading network pickle {path} (SHA-256 {hashlib.sha256(path.read_bytes()).hexdigest()}): unpickling runs code"
    assert notice in err and err.index(notice) < err.index("PAYLOAD RAN")
    assert len([line for line in err.splitlines() if "unpickling runs code" in line]) == 1


def test_the_runs_own_recorded_copy_loads_without_the_notice(pkl, tmp_path, capfd):
    path, _ = pkl
    out = tmp_path / "run" / "gan" / "generator.pt"
    save_generator(load_generator(path), out)
    assert "unpickling runs code" in capfd.readouterr().err  # the user's file: announced
    load_generator(out)  # the run's copy, checked against the SHA-256 its record holds
    assert "unpickling runs code" not in capfd.readouterr().err


def test_a_folder_named_like_a_pickle_is_called_a_folder(tmp_path):
    from lightning_privgan.config.errors import ConfigError
    from lightning_privgan.config.load import config_from_dict

    folder = tmp_path / "x.pkl"
    folder.mkdir()
    for load in (NvidiaGenerator.from_pickle, load_generator):
        with pytest.raises(FileNotFoundError, match="x.pkl is a folder, not a file"):
            load(folder)
    with pytest.raises(ConfigError, match="gan.pretrained.*x.pkl' is a folder, not a network pickle file"):
        config_from_dict({"gan": {"pretrained": str(folder)}})
