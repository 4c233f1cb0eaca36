"""The walker's speed ceiling (benchmarks/bench_walker_bound.py) replays what the walker really runs."""
from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def test_recorder_sees_every_convolution_of_a_walker_chunk_and_no_weight_gradient():
    from bench_walker_bound import CONVOLUTIONS, replay_seconds, walker_chunk

    from bench_walker import build
    from lightning_privgan.walk.paths import folded_classifiers

    G, id_net, class_net = build("tiny", "cpu")
    folded = folded_classifiers(G, id_net, class_net, torch.randn(2, G.w_dim))
    seconds, chunk, calls = walker_chunk(G, *folded, repeats=1, chunk=3)
    convs = [m for net in (G, *folded) for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    # G's 3x3 modulated convs run through F.conv2d (toRGB is a matmul): one per synthesis layer.
    g_layers = sum(1 + (not b.is_first) for b in G.synthesis.blocks)
    forward = [spec for func, spec in calls if func is CONVOLUTIONS[0]]
    backward = [spec for func, spec in calls if func is CONVOLUTIONS[1]]
    assert len(forward) == len(backward) == len(convs) + g_layers
    # output_mask (input, weight, bias): the walker asks every convolution for its input gradient only.
    assert all(spec[-1] == [True, False, False] for spec in backward)
    assert chunk == 3 and seconds > 0 and replay_seconds(calls, repeats=1) > 0


def test_default_chunk_is_the_one_the_walker_cuts():
    from bench_walker_bound import walker_chunk

    from bench_walker import build
    from lightning_privgan.walk.chunk_budget import CPU_WORKING_SET_MB

    G, id_net, class_net = build("tiny", "cpu")
    _, chunk, _ = walker_chunk(G, id_net, class_net, repeats=1, pairs=2, n_steps=6)
    # 2 pairs x 4 inner points fit the CPU working set whole; the cut is the walker's, capped by the count.
    assert CPU_WORKING_SET_MB >= 64 and chunk == 8
