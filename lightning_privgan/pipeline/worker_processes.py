"""The start of the worker processes that run a stage's fits, or stages, side by side on a CPU.

A spawned worker is a fresh interpreter that imports torch, Lightning and the stages again:
3.4 s of imports on a 2-core Xeon before it does any work, paid by every pool. Where the platform
has it, the workers come from multiprocessing's fork server instead: one process, started with the
first pool, imports those modules once and forks each worker from itself, so later pools start at
once. The server has only imported modules (no thread pools, no locks held, no CUDA), which is what
makes forking it safe where forking the busy parent would not be.

The server is started with the parent's environment, folder and sys.path of that moment; a worker
takes the parent's of the moment its pool starts (`worker_start_args`), as a spawned one would.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from multiprocessing.context import BaseContext

import torch

from .stage_table import STAGE_ORDER, STAGE_PACKAGE

# What the fork server imports once: the parent's main module (as a spawned worker would, so work
# defined there unpickles), torch, Lightning and every stage's module with what it imports.
PRELOAD = ["__main__", "torch", "pytorch_lightning", *(f"{STAGE_PACKAGE}.{name}" for name in STAGE_ORDER)]


def worker_context() -> BaseContext:
    """The fork server where the platform has one (Linux, macOS), else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # read once, when the server starts
    return context


def worker_start_args(threads: int) -> tuple:
    """`initargs` for `start_worker`: this process's environment, folder and path now."""
    return dict(os.environ), os.getcwd(), list(sys.path), threads


def start_worker(environ: dict, cwd: str, path: list, threads: int) -> None:
    """A pool's initializer: the parent's environment, folder and path, and its share of threads."""
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    sys.path[:] = path
    torch.set_num_threads(threads)
