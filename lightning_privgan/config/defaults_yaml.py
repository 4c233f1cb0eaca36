"""Render the schema's defaults as a commented YAML: the source of experiments/base.yaml.

`python -m lightning_privgan.config.defaults_yaml > experiments/base.yaml` regenerates it;
a test checks the file is in step with the schema, so base.yaml always holds every default.
"""
from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass

import yaml

from .schema import ExperimentConfig

HEADER = (
    "# Every default of an experiment. Generated from lightning_privgan/config/sections/*.py\n"
    "# by `make base-yaml`; experiments override only what they change.\n"
)


def _scalar(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def _render(obj, indent: int) -> list[str]:
    lines: list[str] = []
    pad = "  " * indent
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            lines.append(f"{pad}{f.name}:")
            lines.extend(_render(value, indent + 1))
            continue
        help_text = f.metadata.get("help", "")
        comment = f"  # {help_text}" if help_text else ""
        lines.append(f"{pad}{f.name}: {_scalar(value)}{comment}")
    return lines


def render_base_yaml() -> str:
    return HEADER + "\n".join(_render(ExperimentConfig(), 0)) + "\n"


if __name__ == "__main__":
    print(render_base_yaml(), end="")
