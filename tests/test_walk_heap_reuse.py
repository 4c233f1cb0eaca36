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


def _faults_of_fresh_buffers(rounds: int = 20) -> int:
    """Minor page faults of allocating, writing and freeing a 4 MB tensor `rounds` times."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        torch.empty(2**20).fill_(1.0)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@needs_glibc
def test_freed_buffers_are_reused_inside_and_returned_outside():
    with reused_heap() as active:
        assert active
        _faults_of_fresh_buffers(1)  # the first buffer is new memory either way
        inside = _faults_of_fresh_buffers()
    outside = _faults_of_fresh_buffers()  # defaults back: every 4 MB buffer is mmapped afresh
    # 20 fresh 4 MB buffers fault ~20 x 1024 pages; reused ones at most the heap's growth once.
    assert inside < 2500 and outside > 15000, (inside, outside)


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
