"""The batched walker reproduces the paper's get_privacy_path (perceivelab/PLAN, privacy_path.py)
pair for pair, to float64 round-off, on the project's own generator and classifiers.

The yardstick, benchmarks/paper_reference.py, is our own transcription of that function's
semantics (inner points only, chunks of 4, pairwise_distance's eps; see its docstring).
"""
from __future__ import annotations

import pytest
import torch

from benchmarks.paper_reference import paper_walk, paper_walk_config
from lightning_privgan.models.stylegan2.networks import Generator
from lightning_privgan.models.components.image_classifier import ImageClassifier
from lightning_privgan.walk.losses import inner_point_weights
from lightning_privgan.walk.paths import walk
from tests.helpers.fake_networks import single_thread  # noqa: F401

pytestmark = pytest.mark.usefixtures("single_thread")

OPTIM_STEPS = 10
TOL = 1e-9


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    G = Generator(z_dim=16, c_dim=0, w_dim=16, img_resolution=16, img_channels=1, mapping_layers=2,
                  channel_base=256, channel_max=16).double().eval().requires_grad_(False)
    with torch.no_grad():  # a fresh G has zero noise strength; make 'const' noise matter as in a trained one
        for name, p in G.synthesis.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.3)
    id_net = ImageClassifier("compact", 3, 16, 12, width=8, head="cosine").double().eval().requires_grad_(False)
    class_net = ImageClassifier("compact", 3, 16, 2, width=8).double().eval().requires_grad_(False)
    return G, id_net, class_net


def _pairs(G, P, seed=3):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(2 * P, G.w_dim, generator=g, dtype=torch.float64)
    return w[:P], w[P:], torch.randint(0, 2, (P,), generator=g)


def test_inner_point_weights_follow_the_last_partial_chunk():
    assert inner_point_weights(16).tolist() == [0.25] * 12 + [0.5, 0.5]  # 14 inner: 4 + 4 + 4 + 2
    assert inner_point_weights(10).tolist() == [0.25] * 8  # 8 inner: 4 + 4
    assert inner_point_weights(11).tolist() == [0.25] * 8 + [1.0]
    assert inner_point_weights(17).tolist() == [0.25] * 12 + [1 / 3] * 3


@pytest.mark.parametrize("n_steps", [10, 16, 17, 18])
def test_batched_walk_reproduces_the_paper_pair_for_pair(nets, n_steps):
    G, id_net, class_net = nets
    P = 3
    w_a, w_b, y = _pairs(G, P)
    log: list[dict] = []
    # A tiny memory budget forces a few images per chunk, so the chunks cut across the paper's
    # groups of 4 and across paths: the per-image weights must put them back together.
    ours = walk(G, w_a, w_b, y, paper_walk_config(n_steps, OPTIM_STEPS, memory_budget_mb=0.02), id_net, class_net,
                progress=False, log_fn=lambda step, terms: log.append(terms))
    refs = [paper_walk(G, w_a[p], w_b[p], int(y[p]), id_net, class_net, n_steps, OPTIM_STEPS) for p in range(P)]
    for p, (ref_path, _) in enumerate(refs):
        moved = (ref_path - walk(G, w_a, w_b, y, paper_walk_config(n_steps, 0), method="linear")[p]).abs().max().item()
        assert moved > 1e-3, "the paths must move for the comparison to mean anything"
        assert (ours[p] - ref_path).abs().max().item() <= TOL
    # The logged terms are the paper's loss and its parts, averaged over the pairs.
    for step in range(OPTIM_STEPS):
        for key in ("loss", "priv", "eq", "cls"):
            want = sum(ref_log[step][key] for _, ref_log in refs) / P
            assert log[step][key] == pytest.approx(want, abs=1e-9, rel=1e-12), (step, key)
    assert torch.equal(ours[:, 0], w_a) and torch.equal(ours[:, -1], w_b)


def test_pairs_together_equal_each_pair_alone(nets):
    G, id_net, class_net = nets
    w_a, w_b, y = _pairs(G, 4, seed=5)
    together = walk(G, w_a, w_b, y, paper_walk_config(7, OPTIM_STEPS, memory_budget_mb=0.05), id_net, class_net,
                    progress=False)
    alone_cfg = paper_walk_config(7, OPTIM_STEPS, channels_last=False)
    for p in range(4):
        alone = walk(G, w_a[p:p + 1], w_b[p:p + 1], y[p:p + 1], alone_cfg, id_net, class_net, progress=False)
        assert (together[p] - alone[0]).abs().max().item() <= TOL


def test_parallel_chunks_give_the_same_paths_as_one_worker(nets):
    """CPU chunks run side by side on threads; each writes only its own gradient rows."""
    G, id_net, class_net = nets
    w_a, w_b, y = _pairs(G, 3, seed=7)
    cfg = paper_walk_config(9, 4, memory_budget_mb=4)  # 3 images a chunk, 7 chunks
    one = walk(G, w_a, w_b, y, cfg, id_net, class_net, workers=1, progress=False)
    torch.set_num_threads(2)  # the fixture pinned one thread; the workers each take one again
    three = walk(G, w_a, w_b, y, cfg, id_net, class_net, workers=3, progress=False)
    assert torch.get_num_threads() == 2  # restored after the walk
    assert torch.equal(one, three)
    with pytest.raises(ValueError, match="workers must be at least 1"):
        walk(G, w_a, w_b, y, cfg, id_net, class_net, workers=0, progress=False)
