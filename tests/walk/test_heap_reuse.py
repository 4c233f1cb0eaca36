"""walk/heap_reuse.py: freed memory stays in the heap while walking, and nothing else changes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lightning_privgan.walk.heap_reuse import heap_reuse_available, reused_heap
from lightning_privgan.config.sections.walk import WalkConfig
from lightning_privgan.walk.paths import walk
from tests.helpers.fake_networks import fake_trio, single_thread  # noqa: F401

pytestmark = pytest.mark.usefixtures("single_thread")
needs_glibc = pytest.mark.skipif(not heap_reuse_available(), reason="mallopt is glibc's")


# Run in a fresh process: the heap of a test session that has run other tests is fragmented
# and already holds freed memory, which hides what the thresholds do.
PROBE = """
import ctypes, json, os, resource, torch
from lightning_privgan.walk.heap_reuse import reused_heap

class MallInfo2(ctypes.Structure):  # glibc >= 2.33
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2

def free_in_heap_mb():
    return libc.mallinfo2().fordblks / 2**20

def faults():
    # 12 tensors of 8 MB written (a chunk's activations), then all freed.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    alive = [torch.empty(2 * 2**20).fill_(1.0) for _ in range(12)]
    del alive
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

with reused_heap() as active:
    inside = [faults() for _ in range(6)]
    rss_inside, kept_inside = rss_mb(), free_in_heap_mb()
print(json.dumps({"active": active, "inside": inside, "kept_inside_mb": kept_inside,
                  "released_mb": rss_inside - rss_mb()}))
"""


@needs_glibc
def test_freed_buffers_are_reused_inside_and_released_after():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["active"]
    # The 96 MB freed each round stay in the heap (glibc's defaults often hand them back, and
    # then every round faults ~24576 fresh pages): after a round or two, no more faults.
    assert got["kept_inside_mb"] > 90 and sum(got["inside"][-2:]) < 2000, got
    # On exit malloc_trim hands the kept pages back (they stay in the heap's books, unbacked).
    assert got["released_mb"] > 50, got


def test_disabled_changes_nothing():
    with reused_heap(enabled=False) as active:
        assert not active


def test_paths_are_bit_identical_with_and_without_heap_reuse():
    """The allocator decides where tensors live, never what is computed in them."""
    G, id_net, class_net = fake_trio()
    g = torch.Generator().manual_seed(0)
    a, b, y = torch.randn(2, G.w_dim, generator=g), torch.randn(2, G.w_dim, generator=g), torch.tensor([0, 1])
    cfg = WalkConfig(n_steps=6, optim_steps=4)
    reused = walk(G, a, b, y, cfg, id_net, class_net, heap_reuse=True, progress=False)
    plain = walk(G, a, b, y, cfg, id_net, class_net, heap_reuse=False, progress=False)
    assert torch.equal(reused, plain)
