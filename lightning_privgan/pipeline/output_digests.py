"""Digests of a finished stage's output files, and the first way they no longer match.

A stage record that says "current" is only as good as the files beside it: a truncated
paths.pt or a hand-edited manifest.csv would otherwise be used by every later stage. The
runner records size, mtime and SHA-256 of each checked file (StageOutputs.REQUIRED and
CHECKED) when the stage finishes. Checking is cheap for untouched files: equal size and
mtime are taken as unchanged; only a file whose mtime moved is hashed again (a copy made
without keeping mtimes costs one read of the files, and still matches).
"""
from __future__ import annotations

from .stage_outputs import StageOutputs
from ..core.hashing import file_sha256

DIGESTS = "outputs"  # the key of the stage record (stage.json) that holds them


def output_digests(outputs: StageOutputs) -> dict[str, dict]:
    """{name: {size, mtime_ns, sha256}} of the stage's checked files as they are now."""
    digests = {}
    for name in outputs.checked_files():
        path = outputs.path(name)
        stat = path.stat()
        digests[name] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": file_sha256(path)}
    return digests


def changed_output(outputs: StageOutputs, recorded: dict[str, dict]) -> str | None:
    """Why the files no longer match `recorded` (the first difference, naming the file), or None."""
    stage = outputs.folder.name
    for name, was in sorted(recorded.items()):
        path = outputs.path(name)
        if not path.is_file():
            return f"{stage}/{name} is missing since the stage finished"
        stat = path.stat()
        if stat.st_size != was["size"]:
            return f"{stage}/{name} changed since the stage finished ({was['size']} -> {stat.st_size} bytes)"
        if stat.st_mtime_ns != was["mtime_ns"] and file_sha256(path) != was["sha256"]:
            return f"{stage}/{name} changed since the stage finished (its content differs)"
    extra = sorted(set(outputs.checked_files()) - set(recorded))
    if extra:
        return f"{stage}/{extra[0]} appeared since the stage finished"
    return None
