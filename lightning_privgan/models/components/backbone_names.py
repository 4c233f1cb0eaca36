"""The backbone choices, in a module of their own: config validation reads them without
importing torchvision (backbones.py builds them and checks its table against this list)."""
from __future__ import annotations

BACKBONES = ("compact", "resnet18", "resnet34", "resnet50")
RESNETS = BACKBONES[1:]
