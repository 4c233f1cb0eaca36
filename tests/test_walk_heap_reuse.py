"""walk/heap_reuse.py: freed memory stays in the heap while walking, and nothing else changes."""
from __future__ import annotations

import resource

import pytest
import torch

from lightning_privgan.walk.heap_reuse import heap_reuse_available, reused_heap
from lightning_privgan.walk.paths import walk
from tests.fake_networks import fake_trio, single_thread  # noqa: F401

pytestmark = pytest.mark.usefixtures("single_thread")
needs_glibc = pytest.mark.skipif(not heap_reuse_available(), reason="mallopt is glibc's")


def _faults_of_a_chunk_like_workload(rounds: int = 4) -> int:
    """Minor page faults of `rounds` times: 12 tensors of 8 MB written (a chunk's activations), then all freed."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        alive = [torch.empty(2 * 2**20).fill_(1.0) for _ in range(12)]
        del alive
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@needs_glibc
def test_freed_buffers_are_reused_inside_and_returned_outside():
    with reused_heap() as active:
        assert active
        _faults_of_a_chunk_like_workload(1)  # the first round is new memory either way
        inside = _faults_of_a_chunk_like_workload()
    _faults_of_a_chunk_like_workload(1)
    # Afterwards the 96 MB freed at the heap's top exceed the trim threshold: returned each round.
    outside = _faults_of_a_chunk_like_workload()
    # 4 rounds of 96 MB fresh fault ~4 x 24576 pages (65 thousand measured after a walk: part
    # stays below the trim threshold); reused ones about none.
    assert inside < 5000 and outside > 40000, (inside, outside)


def test_disabled_changes_nothing():
    with reused_heap(enabled=False) as active:
        assert not active


def test_paths_are_bit_identical_with_and_without_heap_reuse():
    """The allocator decides where tensors live, never what is computed in them."""
    G, id_net, class_net = fake_trio()
    g = torch.Generator().manual_seed(0)
    a, b, y = torch.randn(2, G.w_dim, generator=g), torch.randn(2, G.w_dim, generator=g), torch.tensor([0, 1])
    kwargs = dict(n_steps=6, optim_steps=4, progress=False)
    reused = walk(G, a, b, y, id_net, class_net, heap_reuse=True, **kwargs)
    plain = walk(G, a, b, y, id_net, class_net, heap_reuse=False, **kwargs)
    assert torch.equal(reused, plain)
