"""Walker behaviour beyond exactness: linear paths, W+, channel repeat, early stop, the objective's effect."""
from __future__ import annotations

import pytest
import torch

from lightning_privgan.walk.losses import kl_uniform_per_image
from lightning_privgan.config.sections.walk import WalkConfig
from lightning_privgan.walk.paths import linear_paths, walk
from lightning_privgan.walk.sampling import sample_latents, synthesize, synthetic_samples
from tests.helpers.fake_networks import fake_trio, single_thread  # noqa: F401

pytestmark = pytest.mark.usefixtures("single_thread")


def _setup(P=3, **kw):
    G, id_net, class_net = fake_trio(**kw)
    g = torch.Generator().manual_seed(0)
    return G, id_net, class_net, torch.randn(P, G.w_dim, generator=g), torch.randn(P, G.w_dim, generator=g), torch.tensor([0, 1, 0][:P])


def test_linear_paths_are_evenly_spaced_with_exact_endpoints():
    a, b = torch.randn(2, 5), torch.randn(2, 5)
    paths = linear_paths(a, b, 6)
    assert torch.equal(paths[:, 0], a) and torch.equal(paths[:, -1], b)
    steps = (paths[:, 1:] - paths[:, :-1]).norm(dim=-1)
    assert torch.allclose(steps, steps[:, :1].expand_as(steps), atol=1e-6)


def test_plan_lowers_its_loss_and_makes_identity_less_certain():
    G, id_net, class_net, a, b, y = _setup()
    log = []
    paths = walk(G, a, b, y, WalkConfig(n_steps=5, optim_steps=15, lr=0.05, lambda_priv=10.0), id_net, class_net,
                 progress=False, log_fn=lambda s, t: log.append(t))
    assert log[-1]["loss"] < log[0]["loss"]
    assert set(log[0]) == {"loss", "priv", "eq", "cls", "active_pairs"}
    assert torch.equal(paths[:, 0], a) and torch.equal(paths[:, -1], b)
    line = linear_paths(a, b, 5)
    with torch.no_grad():
        kl_line = kl_uniform_per_image(id_net(synthesize(G, line[:, 1:-1].flatten(0, 1), "const"))).mean()
        kl_plan = kl_uniform_per_image(id_net(synthesize(G, paths[:, 1:-1].flatten(0, 1), "const"))).mean()
    assert kl_plan < kl_line


def test_walk_in_w_plus_and_with_three_channel_classifiers():
    G, id_net, class_net, a, b, y = _setup(classifier_channels=3)
    paths = walk(G, a, b, y, WalkConfig(n_steps=4, optim_steps=3, space="w+"), id_net, class_net, progress=False)
    assert paths.shape == (3, 4, G.mapping.num_ws, G.w_dim)
    assert not torch.equal(paths[:, 1, 0], paths[:, 1, 1])  # layers move independently in W+
    assert synthesize(G, paths[:, 1], "const").shape == (3, 1, 16, 16)


def test_walk_leaves_the_networks_as_it_found_them():
    G, id_net, class_net, a, b, y = _setup()
    id_net.train()
    walk(G, a, b, y, WalkConfig(n_steps=4, optim_steps=2), id_net, class_net, progress=False)
    assert id_net.training and all(p.requires_grad for p in G.parameters())


def test_early_stop_freezes_pairs_and_ends_the_walk():
    G, id_net, class_net, a, b, y = _setup()
    log = []
    walk(G, a, b, y, WalkConfig(n_steps=5, optim_steps=200, lr=1e-9, early_stop_patience=3, early_stop_rel_tol=1e-3),
         id_net, class_net, progress=False, log_fn=lambda s, t: log.append(t))
    assert len(log) == 4  # first step sets the best, three stale steps, then every pair is frozen


def test_walk_rejects_bad_input():
    G, id_net, class_net, a, b, y = _setup()
    with pytest.raises(ValueError, match="needs id_net and class_net"):
        walk(G, a, b, y, WalkConfig(n_steps=4), progress=False)
    with pytest.raises(ValueError, match="differ in shape"):
        walk(G, a, b[:2], y, WalkConfig(), id_net, class_net, progress=False)
    with pytest.raises(ValueError, match="method must be"):
        walk(G, a, b, y, WalkConfig(), method="curvy")


def test_sampling_stays_between_inner_points_and_is_reproducible():
    paths = torch.arange(2 * 5, dtype=torch.float32).view(2, 5, 1).repeat(1, 1, 3)
    w, pair, pos = sample_latents(paths, 500, torch.Generator().manual_seed(0), interpolate=True)
    assert pos.min() >= 1 and pos.max() <= 3 and set(pair.tolist()) == {0, 1}
    assert torch.allclose(w[:, 0], (pair * 5).float() + pos.float())  # linear interpolation within a segment
    w2, _, _ = sample_latents(paths, 500, torch.Generator().manual_seed(0), interpolate=True)
    assert torch.equal(w, w2)
    _, _, steps = sample_latents(paths, 100, torch.Generator().manual_seed(0), interpolate=False)
    assert set(steps.tolist()) <= {1.0, 2.0, 3.0}
    with pytest.raises(ValueError, match="no inner point"):
        sample_latents(paths[:, :2], 4, torch.Generator(), interpolate=True)


def test_synthetic_samples_carry_the_path_labels():
    G, _, _ = fake_trio()
    paths = linear_paths(torch.randn(3, G.w_dim), torch.randn(3, G.w_dim), 5)
    images, labels, pair, _ = synthetic_samples(G, paths, torch.tensor([1, 0, 1]), 12, seed=0, interpolate=True,
                                              noise_mode="const")
    assert images.shape == (12, 1, 16, 16) and images.abs().max() <= 1
    assert torch.equal(labels, torch.tensor([1, 0, 1])[pair])


def test_chunk_size_follows_the_probe_and_the_budget():
    from lightning_privgan.walk.chunk_budget import chunk_size_for_budget, saved_bytes_per_image

    layer = torch.nn.Linear(1000, 1000)
    x = torch.randn(2, 1000, requires_grad=True)
    per_image = saved_bytes_per_image(lambda n: torch.tanh(layer(x[:n])).sum())
    assert per_image == 2 * 4 * 1000  # linear input and tanh output, float32; the shared weight not counted
    assert chunk_size_for_budget(per_image, budget_mb=1, limit=10_000) == int(2**20 / (1.5 * per_image))
    assert chunk_size_for_budget(per_image, budget_mb=1e-9, limit=50) == 1
    assert chunk_size_for_budget(per_image, budget_mb=1e6, limit=50) == 50
    with pytest.raises(ValueError, match="memory_budget_mb must be positive"):
        chunk_size_for_budget(per_image, 0, 10)


def test_bf16_autocast_lowers_the_loss_like_float32_and_rejects_unknown_modes():
    G, id_net, class_net, a, b, y = _setup()
    settings = dict(n_steps=5, optim_steps=15, lr=0.05, lambda_priv=10.0)
    logs = {"none": [], "bf16": []}
    for mode, log in logs.items():
        paths = walk(G, a, b, y, WalkConfig(autocast=mode, **settings), id_net, class_net, progress=False,
                     log_fn=lambda s, t, log=log: log.append(t["loss"]))
        assert paths.dtype == torch.float32
    # bf16 is not bit-exact (Adam turns tiny noisy gradients into full steps) but optimises the same loss.
    assert logs["bf16"][-1] < logs["bf16"][0]
    assert logs["bf16"][-1] == pytest.approx(logs["none"][-1], rel=0.01)
    with pytest.raises(ValueError, match="autocast must be one of"):
        walk(G, a, b, y, WalkConfig(autocast="int8", **settings), id_net, class_net, progress=False)


def test_walk_takes_its_settings_only_from_the_walk_section():
    """No walk() keyword shadows a WalkConfig field: the schema holds the one default of each."""
    import inspect
    from dataclasses import fields

    shadowed = {f.name for f in fields(WalkConfig)} & set(inspect.signature(walk).parameters)
    assert not shadowed, f"walk() re-declares walk settings {sorted(shadowed)}"
