"""Architecture presets of the GAN: tiny (CPU demo, 32 px), small (64 px), paper (256 px).

Rule: a preset fills only the architecture keys that the experiment leaves `null`
in the `gan` section; any key given explicitly wins. So `preset: paper` plus
`channel_max: 256` is the paper network with narrower layers.
"""
from __future__ import annotations

from typing import Any

ARCHITECTURE_KEYS = ("z_dim", "w_dim", "mapping_layers", "channel_base", "channel_max")

PRESETS: dict[str, dict[str, int]] = {
    # Fast enough for a CPU smoke run: forward+backward of 32 images at 32 px well under 1 s.
    "tiny": dict(z_dim=64, w_dim=64, mapping_layers=2, channel_base=1024, channel_max=64),
    "small": dict(z_dim=256, w_dim=256, mapping_layers=4, channel_base=4096, channel_max=256),
    # stylegan2-ada-pytorch's 'paper256' widths (fmaps 0.5 of 32768 -> 16384, max 512, mapping 8).
    "paper": dict(z_dim=512, w_dim=512, mapping_layers=8, channel_base=16384, channel_max=512),
}


def resolve_architecture(gan_cfg: Any) -> dict[str, int]:
    if gan_cfg.preset not in PRESETS:
        raise ValueError(f"gan.preset {gan_cfg.preset!r} is not one of {', '.join(PRESETS)}")
    arch = dict(PRESETS[gan_cfg.preset])
    for key in ARCHITECTURE_KEYS:
        value = gan_cfg.get(key) if hasattr(gan_cfg, "get") else getattr(gan_cfg, key, None)
        if value is not None:
            if int(value) < 1:
                raise ValueError(f"gan.{key} must be a positive integer, got {value}")
            arch[key] = int(value)
    return arch
