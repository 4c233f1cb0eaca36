"""Validation's lists of choices (config/choices.py) and the library's registries name the same things:
a registry entry without its choice could never be configured, a choice without its entry fails late."""
from __future__ import annotations

from lightning_privgan.config import choices
from lightning_privgan.data.sources import SOURCE_BUILDERS
from lightning_privgan.models.components.backbones import _RESNETS
from lightning_privgan.models.components.cosine_head import build_head
from lightning_privgan.models.stylegan2.presets import PRESETS
from lightning_privgan.core.device_settings import AUTOCAST


def test_every_registry_keys_by_its_list_of_choices():
    assert tuple(SOURCE_BUILDERS) == choices.DATA_SOURCES
    assert tuple(PRESETS) == choices.GAN_PRESETS
    assert tuple(AUTOCAST) == choices.AUTOCAST
    assert tuple(_RESNETS) == choices.RESNETS and choices.BACKBONES == ("compact", *choices.RESNETS)


def test_every_head_choice_builds():
    for head in choices.HEADS:
        assert build_head(head, 8, 3, scale=30.0).weight.shape == (3, 8)
