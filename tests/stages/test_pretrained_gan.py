"""gan.pretrained: an NVIDIA-format network pickle imported by the gan stage and used by every later stage."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
from rich.console import Console

from lightning_privgan.config.errors import ConfigError
from lightning_privgan.config.load import config_from_dict
from lightning_privgan.models.generator_io import load_generator
from lightning_privgan.models.nvidia_generator import NvidiaGenerator
from lightning_privgan.pipeline.runner import Pipeline
from lightning_privgan.release.export import export_release
from lightning_privgan.stages import load_stages
from tests.helpers.nvidia_pickle_standin import write_network_pickle
from tests.helpers.experiments import TINY  # the fast CPU settings of every stage, at 16 px

pytestmark = pytest.mark.heavy  # seconds a test: started first (tests/conftest.py)


def _cfg(tmp_path, pkl, gan: dict | None = None):
    return config_from_dict({**TINY, "name": "pretrained", "runs_root": str(tmp_path / "runs"),
                             "logger": {"wandb": {"enabled": False}},
                             "gan": {**TINY["gan"], "pretrained": str(pkl), **(gan or {})}})


def _run(cfg, **kw):
    return Pipeline(cfg, load_stages(), console=Console(quiet=True)).run(**kw)


def test_the_gan_stage_imports_the_pickle_instead_of_training(tmp_path):
    pkl = tmp_path / "network-snapshot-000200.pkl"
    write_network_pickle(pkl, c_dim=2, resolution=16, channels=1)
    cfg = _cfg(tmp_path, pkl)
    assert cfg.gan.pretrained_sha256 and len(cfg.gan.pretrained_sha256) == 64
    _run(cfg, only=["data", "gan"])
    gan_dir = tmp_path / "runs" / "pretrained" / "gan"
    assert (gan_dir / "generator.pkl").read_bytes() == pkl.read_bytes()  # the run folder holds the network
    assert not (gan_dir / "checkpoints").exists()  # nothing was trained
    G = load_generator(gan_dir / "generator.pt")
    assert isinstance(G, NvidiaGenerator) and (G.img_resolution, G.c_dim) == (16, 2)
    curve = pd.read_csv(gan_dir / "fd_curve.csv")
    assert len(curve) == 1 and curve.kimg[0] == 0 and curve.fd[0] > 0 and curve.extractor[0] == "offline"
    assert (gan_dir / "fd_encoder.pt").is_file()  # the features the audit's FD uses, as after training
    assert (gan_dir / "samples" / "imported.png").stat().st_size > 100
    summary = json.loads((gan_dir / "summary.json").read_text())
    assert summary["imported"]["sha256"] == cfg.gan.pretrained_sha256 and summary["fd"] == pytest.approx(curve.fd[0])
    assert summary["imported"]["from"] == str(pkl.resolve())
    assert cfg.gan.pretrained_sha256 in (tmp_path / "runs" / "pretrained" / "config.yaml").read_text()

    # Same file: cached. Another network under the same name: the import runs again.
    assert [p.action for p in _run(_cfg(tmp_path, pkl), only=["data", "gan"])] [:2] == ["cached", "cached"]
    write_network_pickle(pkl, c_dim=2, resolution=16, channels=1, seed=1)
    planned = _run(_cfg(tmp_path, pkl), only=["data", "gan"])
    assert [p.action for p in planned][:2] == ["cached", "run"]
    assert (gan_dir / "generator.pkl").read_bytes() == pkl.read_bytes()


def test_a_pickle_that_does_not_fit_the_data_stops_the_gan_stage(tmp_path):
    pkl = tmp_path / "wide.pkl"
    write_network_pickle(pkl, c_dim=3, resolution=32, channels=3)
    with pytest.raises(ValueError, match=r"gan.pretrained .*3 classes but the data has 2.*data.channels=3.*data.resolution=32"):
        _run(_cfg(tmp_path, pkl), only=["data", "gan"])


def test_gan_pretrained_is_validated_with_the_config(tmp_path):
    pkl = tmp_path / "net.pkl"
    write_network_pickle(pkl)
    with pytest.raises(ConfigError, match=r"gan.pretrained.*does not exist"):
        _cfg(tmp_path, tmp_path / "missing.pkl")
    (tmp_path / "net.pt").write_bytes(pkl.read_bytes())
    with pytest.raises(ConfigError, match=r"gan.pretrained.*must end in .pkl"):
        _cfg(tmp_path, tmp_path / "net.pt")
    with pytest.raises(ConfigError, match=r"gan.pretrained_sha256.*not the pinned 00"):
        _cfg(tmp_path, pkl, gan={"pretrained_sha256": "00" * 32})
    pinned = _cfg(tmp_path, pkl).gan.pretrained_sha256
    assert _cfg(tmp_path, pkl, gan={"pretrained_sha256": pinned}).gan.pretrained_sha256 == pinned
    with pytest.raises(ConfigError, match=r"gan.pretrained_sha256.*names no network pickle"):
        config_from_dict({"gan": {"pretrained_sha256": pinned}})


def test_every_stage_runs_on_an_imported_pickle(tmp_path):
    pkl = tmp_path / "network-snapshot-000200.pkl"
    write_network_pickle(pkl, c_dim=2, resolution=16, channels=1)
    _run(_cfg(tmp_path, pkl))  # anchors: k-same groups of real images projected through the pickled network
    run_dir = tmp_path / "runs" / "pretrained"
    assert (run_dir / "report.md").is_file()
    anchors = torch.load(run_dir / "anchors" / "anchors.pt", weights_only=False)
    assert anchors["method"] == "ksame" and anchors["w"].shape[1] == 8
    paths = torch.load(run_dir / "walk" / "paths.pt", weights_only=False)
    for method in ("linear", "plan"):
        assert paths[method].shape == (len(paths["pairs"]), 4, 8)
        assert torch.equal(paths[method][:, 0], anchors["w"][paths["pairs"][:, 0]])
    assert not torch.equal(paths["plan"], paths["linear"])  # PLAN moved the inner points through the pickle
    runs = pd.read_csv(run_dir / "downstream" / "runs.csv")
    assert sorted(runs.source) == ["ksame", "linear", "plan", "real"]
    audit = json.loads((run_dir / "privacy_audit" / "audit.json").read_text())
    assert set(audit["sources"]) == {"real", "linear", "plan", "ksame"}
    result = export_release(run_dir, tmp_path / "release", num=8, allow_failing=True)
    assert result.released == 8 and len(list((tmp_path / "release" / "images").glob("*.png"))) == 8
    card = (tmp_path / "release" / "RELEASE.md").read_text()
    # The card names the imported file and its digest, and claims no training budget of this run.
    assert "imported from `" in card and audit_sha(run_dir) in card and "kimg" not in card


def audit_sha(run_dir) -> str:
    return json.loads((run_dir / "gan" / "summary.json").read_text())["imported"]["sha256"]
