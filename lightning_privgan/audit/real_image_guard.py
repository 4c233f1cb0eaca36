"""The one gate every image passes before it reaches a report, a PNG or W&B.

Real patient images must not leave the data folder unless the experiment says so
(logging.allow_real_images). Every writer of pictures states where its images came from
and calls `check_publishable`; there is no second code path that could forget.
"""
from __future__ import annotations

ORIGINS = ("synthetic", "real")


class RealImagePolicyError(PermissionError):
    """Raised when real patient images would be published without permission."""


def may_publish(origin: str, allow_real_images: bool) -> bool:
    if origin not in ORIGINS:
        raise ValueError(f"image origin {origin!r} is not one of {ORIGINS}; say where the images came from")
    return origin == "synthetic" or bool(allow_real_images)


def check_publishable(origin: str, allow_real_images: bool, what: str) -> None:
    """Raise RealImagePolicyError unless images of `origin` may be published as `what`."""
    if not may_publish(origin, allow_real_images):
        raise RealImagePolicyError(
            f"refusing to publish real patient images ({what}); set logging.allow_real_images=true to allow it"
        )
