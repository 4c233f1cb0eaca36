"""Merge base.yaml, an experiment YAML and command-line overrides; validate against the schema.

Each layer is merged separately so that a mistake can be blamed on the file (or the
command line) that introduced it.
"""
from __future__ import annotations

import difflib
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Sequence

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .errors import COMMAND_LINE, ConfigError, where
from .schema import ExperimentConfig
from .validate import validate_values


def _schema_node(dotted: str):
    """The dataclass that holds key `dotted` (its parent), or None."""
    node = ExperimentConfig
    for part in dotted.split(".")[:-1]:
        match = {f.name: f for f in fields(node)}.get(part)
        if match is None:
            return None
        default = match.default_factory() if callable(match.default_factory) else match.default  # type: ignore[misc]
        if not is_dataclass(default):
            return None
        node = type(default)
    return node


def _explain(err: OmegaConfBaseException, source: str) -> str:
    key = getattr(err, "full_key", None) or "?"
    node = _schema_node(key)
    msg = str(getattr(err, "msg", err)).splitlines()[0]
    text = f"Configuration error {where(source)}: key '{key}': {msg}."
    if node is not None:
        allowed = [f.name for f in fields(node)]
        leaf = key.split(".")[-1]
        if leaf not in allowed:
            close = difflib.get_close_matches(leaf, allowed, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            text += f" Allowed keys here: {', '.join(allowed)}.{hint}"
        else:
            field_type = {f.name: f.type for f in fields(node)}[leaf]
            text += f" Expected type: {field_type}."
    return text


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last
    silently, which would drop the first block's settings without a word)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' appears twice in one mapping", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> DictConfig:
    _require_file(path)
    try:
        data = yaml.load(path.read_text(), Loader=_UniqueKeyLoader) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"Configuration error in {path}: not valid YAML ({err}).") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Configuration error in {path}: the top level must be a mapping of keys.")
    return OmegaConf.create(data)


def _require_file(path: Path) -> None:
    if path.is_dir():
        raise ConfigError(f"Configuration error: '{path}' is a folder, not an experiment YAML file.")
    if not path.is_file():
        raise ConfigError(f"Configuration error: file '{path}' does not exist.")


def _blame(layers: list[tuple[str, DictConfig]]):
    """key(s) -> the source (file or command line) that set any of them last; base.yaml else."""

    def source_of(*keys: str) -> str:
        for source, layer in reversed(layers):
            if any(OmegaConf.select(layer, k, default=None) is not None for k in keys):
                return source
        return layers[0][0] if layers else "the schema defaults"

    return source_of


def _merge(cfg: DictConfig, layer: DictConfig, source: str) -> DictConfig:
    try:
        return OmegaConf.merge(cfg, layer)  # type: ignore[return-value]
    except OmegaConfBaseException as err:
        raise ConfigError(_explain(err, source)) from None


def _extends_chain(path: Path) -> list[Path]:
    """[ancestor, ..., path]: an experiment may say `extends: other.yaml` (relative to itself)
    so that sweeps restate only the swept key on top of the experiment they vary."""
    chain = [path]
    while True:
        parent = _read_yaml(chain[0]).get("extends")
        if parent is None:
            return chain
        parent_path = (chain[0].parent / str(parent)).resolve()
        if parent_path in [p.resolve() for p in chain]:
            raise ConfigError(f"Configuration error in {chain[0]}: 'extends' forms a cycle through {parent_path}.")
        chain.insert(0, parent_path)


def _parse_overrides(overrides: Sequence[str]) -> DictConfig:
    """The command line's dot-list as one layer; a malformed override is named on its own."""
    for override in overrides:
        if "=" not in override:
            raise ConfigError(f"Configuration error on the command line: '{override}' is not of the form key.sub=value.")
        try:
            OmegaConf.from_dotlist([override])
        except yaml.YAMLError as err:  # an unclosed list or quote: the value is parsed as YAML
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise ConfigError(f"Configuration error on the command line: '{override}': the value is not valid YAML "
                              f"({problem}); a list is written key=[a,b].") from None
        except OmegaConfBaseException as err:
            raise ConfigError(f"Configuration error on the command line: '{override}': {err}") from None
    return OmegaConf.from_dotlist(list(overrides))


def find_base(path: Path) -> Path:
    """base.yaml beside the experiment or in a folder above it (sweeps live in subfolders)."""
    for folder in [path.parent, *path.parent.resolve().parents]:
        if (folder / "base.yaml").is_file():
            return folder / "base.yaml"
    raise ConfigError(f"Configuration error: no base.yaml beside {path} or above it; pass --base.")


def load_experiment(path: str | Path, overrides: Sequence[str] = (), base: str | Path | None = None) -> DictConfig:
    """Resolved, validated config of experiment `path` merged over base.yaml (see find_base)."""
    path = Path(path)
    _require_file(path)
    base_path = Path(base) if base else find_base(path)
    cfg: DictConfig = OmegaConf.structured(ExperimentConfig)
    layers: list[tuple[str, DictConfig]] = []
    if base_path.resolve() != path.resolve():
        layers.append((str(base_path), _read_yaml(base_path)))
    for layer_path in _extends_chain(path):
        layer = _read_yaml(layer_path)
        if layer_path == path and not layer:
            raise ConfigError(f"Configuration error in {path}: the file sets no keys (it is empty or only comments), "
                              f"so it would run {base_path.name}'s defaults under their name; give at least the "
                              "run's `name:` and the settings this experiment changes.")
        layer.pop("extends", None)
        layers.append((str(layer_path), layer))
    layers.append((COMMAND_LINE, _parse_overrides(overrides)))
    for source, layer in layers:
        cfg = _merge(cfg, layer, source)
    try:
        OmegaConf.resolve(cfg)
    except OmegaConfBaseException as err:
        raise ConfigError(_explain(err, f"{path} (interpolation)")) from None
    validate_values(cfg, source=_blame(layers))
    OmegaConf.set_readonly(cfg, True)
    return cfg


def config_from_dict(data: dict) -> DictConfig:
    """A validated config built in code (tests, notebooks): schema defaults + `data`."""
    cfg = _merge(OmegaConf.structured(ExperimentConfig), OmegaConf.create(data), "the given dict")
    validate_values(cfg, source="the given dict")
    return cfg
