"""The one error type for bad input data (missing files, undecodable images, bad labels)."""
from __future__ import annotations


class DataError(ValueError):
    """A problem with the user's data set; the message names the file, row or setting at fault."""


class BadImageError(DataError):
    """An image file that PIL cannot decode; `path` names it."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"cannot decode image {path}: {reason}")
        self.path = path
        self.reason = reason


def show_some(values, limit: int = 5) -> str:
    """The first few values, and how many more, for an error message."""
    values = list(values)
    more = f" (and {len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(map(str, values[:limit])) + more
