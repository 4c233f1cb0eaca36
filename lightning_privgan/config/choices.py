"""The lists of allowed choices that the library's registries key by, in the config layer:
validation reads them without importing the library (torch, torchvision, the data sources),
and each registry is checked against its list (tests/config/test_choices.py).

A new data source, backbone, head or preset is one entry here and one in its registry.
"""
from __future__ import annotations

# data/sources/__init__.py: SOURCE_BUILDERS
DATA_SOURCES = ("phantom_cxr", "phantom_fundus", "medmnist", "shenzhen", "montgomery", "tb", "aptos", "eyepacs",
                "folder")
# models/components/backbones.py: the builders
BACKBONES = ("compact", "resnet18", "resnet34", "resnet50")
RESNETS = BACKBONES[1:]
# models/components/cosine_head.py: make_head
HEADS = ("linear", "cosine")
# models/stylegan2/presets.py: PRESETS
GAN_PRESETS = ("tiny", "small", "paper")
# core/device_settings.py: AUTOCAST (name -> dtype): walk.autocast, gan.projection.autocast, stream.autocast
AUTOCAST = ("none", "bf16", "fp16")
