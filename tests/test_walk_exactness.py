"""The batched, chunked walker equals (a) each pair walked alone and (b) a literal transcription
of the reference objective (chunks of 4 images, 'batchmean' KL, mean CE, summed over chunks)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lightning_privgan.walk.losses import reference_point_weights
from lightning_privgan.walk.paths import walk
from tests.fake_networks import fake_trio, single_thread  # noqa: F401

LAMBDAS = dict(lambda_priv=0.1, lambda_eq=1.0, lambda_cls=1.0)

pytestmark = pytest.mark.usefixtures("single_thread")


def reference_walk(G, w_a, w_b, y, id_net, class_net, n_steps, optim_steps, lr, losses):
    """One pair, written as the paper's code does it: every point, chunks of 4, sum of chunk means."""
    t = torch.linspace(0, 1, n_steps, dtype=w_a.dtype)[:, None]
    inner = torch.nn.Parameter(((1 - t) * w_a + t * w_b)[1:-1].clone())
    opt = torch.optim.Adam([inner], lr=lr)
    for _ in range(optim_steps):
        opt.zero_grad()
        path = torch.cat([w_a[None], inner, w_b[None]])
        loss = LAMBDAS["lambda_eq"] * (path[1:] - path[:-1]).pow(2).sum()
        for s in range(0, n_steps, 4):
            ws = path[s:s + 4]
            img = G.synthesis(ws[:, None].expand(-1, G.mapping.num_ws, -1), noise_mode="const").clamp(-1, 1)
            logits = id_net(img)
            uniform = torch.full_like(logits, 1.0 / logits.shape[1])
            loss = loss + LAMBDAS["lambda_priv"] * F.kl_div(F.log_softmax(logits, 1), uniform, reduction="batchmean")
            loss = loss + LAMBDAS["lambda_cls"] * F.cross_entropy(class_net(img), y.expand(len(ws)))
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return torch.cat([w_a[None], inner.detach(), w_b[None]])


@pytest.fixture
def nets():
    G, id_net, class_net = fake_trio(seed=1, dtype=torch.float64)
    for m in (G, id_net, class_net):
        m.requires_grad_(False)
    return G, id_net, class_net


def _pairs(G, P, seed=3):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(2 * P, G.w_dim, generator=g, dtype=torch.float64)
    return w[:P], w[P:], torch.randint(0, 2, (P,), generator=g)


def test_reference_weights_follow_the_last_partial_chunk():
    assert reference_point_weights(10).tolist() == [0.25] * 8 + [0.5, 0.5]
    assert reference_point_weights(9).tolist() == [0.25] * 8 + [1.0]
    assert reference_point_weights(8).tolist() == [0.25] * 8


@pytest.mark.parametrize("n_steps", [10, 9])
def test_batched_walk_matches_the_reference_transcription(nets, n_steps):
    G, id_net, class_net = nets
    w_a, w_b, y = _pairs(G, 1)
    ref_losses, our_losses = [], []
    ref = reference_walk(G, w_a[0], w_b[0], y[0], id_net, class_net, n_steps, 20, 0.1, ref_losses)
    # A tiny memory budget forces one image per chunk: accumulation across chunks is exercised.
    ours = walk(G, w_a, w_b, y, id_net, class_net, n_steps=n_steps, optim_steps=20, lr=0.1,
                memory_budget_mb=1e-6, progress=False, log_fn=lambda s, t: our_losses.append(t["loss"]), **LAMBDAS)
    assert torch.allclose(ours[0], ref, atol=1e-10, rtol=0)
    assert our_losses == pytest.approx(ref_losses, abs=1e-10, rel=0)
    assert not torch.allclose(ref, walk(G, w_a, w_b, y, method="linear", n_steps=n_steps)[0])


def test_pairs_together_equal_each_pair_alone(nets):
    G, id_net, class_net = nets
    w_a, w_b, y = _pairs(G, 4)
    kwargs = dict(n_steps=7, optim_steps=20, lr=0.1, progress=False, **LAMBDAS)
    together = walk(G, w_a, w_b, y, id_net, class_net, memory_budget_mb=0.05, **kwargs)
    for p in range(4):
        alone = walk(G, w_a[p:p + 1], w_b[p:p + 1], y[p:p + 1], id_net, class_net, **kwargs)
        assert torch.allclose(together[p], alone[0], atol=1e-10, rtol=0)
    assert torch.equal(together[:, 0], w_a) and torch.equal(together[:, -1], w_b)
