"""Stand-in stages that record their calls: the runner seen without any real work."""
from __future__ import annotations

from lightning_privgan.core.atomic import write_text_atomic
from lightning_privgan.pipeline.stage import Stage


def make_stages(calls: list[str], fail: set[str] | None = None):
    fail = fail if fail is not None else set()

    def body(name):
        def run(ctx):
            calls.append(name)
            (ctx.out / "partial.txt").write_text("started")
            if name in fail:
                raise RuntimeError(f"{name} crashed")
            write_text_atomic(ctx.out / "result.txt", f"{name}:{ctx.seed()}")
        return run

    return [
        Stage("data", body("data"), needs=(), config_keys=("data",)),
        Stage("gan", body("gan"), needs=("data",), config_keys=("gan",)),
        Stage("walk", body("walk"), needs=("gan",), config_keys=("walk",)),
    ]
