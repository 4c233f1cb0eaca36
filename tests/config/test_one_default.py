"""One default per setting: the config schema (config/sections/) is the only place a setting's
default lives. A library function that takes a parameter named like a schema key with a default
equal to that key's schema default is re-stating it (and free to drift from it, as walk()'s
lambda_priv once did: 0.1 against the schema's 1.0); it must take the config section or a required
argument instead. ALLOWED lists the parameters that only share a name with a setting, each with why.
"""
from __future__ import annotations

import ast
from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path

from lightning_privgan.config.schema import ExperimentConfig

PACKAGE = Path(__file__).resolve().parents[2] / "lightning_privgan"

# Parameter names that mean something else wherever the library uses them.
GENERIC_NAMES = {
    "seed": "a function's own RNG seed (stages pass ctx.seed(name), derived from the experiment seed), "
            "not the experiment seed",
    "enabled": "the on/off switch of a context manager, not data.augment.enabled or logger.wandb.enabled",
}
# "Qualified.name:parameter" (by name, not file, so a module that moves keeps its entry) -> why
# it is not a setting.
NETWORK_ARGUMENT = ("an architecture argument of a network constructor, which mirrors the torchvision / StyleGAN2 "
                    "APIs; training/classifier_networks.py and the gan presets build the network from the config, "
                    "and classifier_io rebuilds it from the saved constructor arguments")
G_NOISE = ("the generator's network API (as NVIDIA's synthesis(noise_mode=...)): 'const' is the deterministic "
           "render the probes, the projector and the sample grids use; the walk passes walk.noise_mode")
ALLOWED = {
    "ImageClassifier.__init__:width": NETWORK_ARGUMENT,
    "ImageClassifier.__init__:weights": NETWORK_ARGUMENT,
    "ImageClassifier.__init__:head": NETWORK_ARGUMENT,
    "ImageClassifier.__init__:head_scale": NETWORK_ARGUMENT,
    "build_backbone:width": NETWORK_ARGUMENT,
    "build_backbone:weights": NETWORK_ARGUMENT,
    "CompactCNN.__init__:width": NETWORK_ARGUMENT,
    "CompactCNN.__init__:resolution": NETWORK_ARGUMENT,
    "OfflineEncoder.__init__:width": NETWORK_ARGUMENT,
    "Generator.__init__:mapping_layers": NETWORK_ARGUMENT + " (gan.mapping_layers: null = the preset's)",
    "Generator.__init__:channel_base": NETWORK_ARGUMENT + " (gan.channel_base: null = the preset's)",
    "Generator.__init__:channel_max": NETWORK_ARGUMENT + " (gan.channel_max: null = the preset's)",
    "Discriminator.__init__:channel_base": NETWORK_ARGUMENT + " (gan.channel_base: null = the preset's)",
    "Discriminator.__init__:channel_max": NETWORK_ARGUMENT + " (gan.channel_max: null = the preset's)",
    "SynthesisNetwork.forward:noise_mode": G_NOISE,
    "Generator.forward:noise_mode": G_NOISE,
    "LatentGenerator.synthesize:noise_mode": G_NOISE,
    "train_offline_encoder:batch_size": "the offline FD encoder's own training batch (no setting sizes it; "
                                        "gan.fd_encoder_epochs sets its length)",
    "project:w_plus": "an override of the ProjectionConfig the call is given: None takes its w_plus",
    "validate_source:class_names": "None skips the class-name check; the data stage passes data.class_names",
}


def schema_defaults() -> dict[str, list[tuple[str, object]]]:
    """Leaf key name -> [(dotted key, default)] over the whole experiment schema."""
    out: dict[str, list[tuple[str, object]]] = {}

    def visit(node, prefix: str) -> None:
        for f in fields(node):
            value = f.default if f.default is not MISSING else (
                f.default_factory() if f.default_factory is not MISSING else MISSING)  # type: ignore[misc]
            if is_dataclass(value):
                visit(value, f"{prefix}{f.name}.")
            else:
                out.setdefault(f.name, []).append((prefix + f.name, value))

    visit(ExperimentConfig(), "")
    return out


def _defaults(args: ast.arguments):
    positional = args.posonlyargs + args.args
    yield from zip(positional[len(positional) - len(args.defaults):], args.defaults)
    yield from ((a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)


def keyword_defaults(package: Path):
    """(file, Qualified.name, parameter, literal default) of every library signature; config/sections/ excluded."""
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if rel.startswith("config/sections/"):
            continue
        todo = [(ast.parse(path.read_text()), "")]
        while todo:
            node, scope = todo.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef):
                    todo.append((child, f"{scope}{child.name}."))
                elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    qualname = scope + child.name
                    for arg, default in _defaults(child.args):
                        try:
                            yield rel, qualname, arg.arg, ast.literal_eval(default)
                        except ValueError:
                            pass  # an expression, not a literal: nothing to compare
                    todo.append((child, f"{qualname}."))


def restated_defaults(package: Path = PACKAGE) -> list[str]:
    """'file:Qualified.name:param = value (schema: key = value)' for every re-stated schema default."""
    schema = schema_defaults()
    found = []
    for rel, qualname, name, value in keyword_defaults(package):
        if name in GENERIC_NAMES or f"{qualname}:{name}" in ALLOWED:
            continue
        keys = schema.get(name, [])
        same = [key for key, v in keys if type(v) is type(value) and v == value]
        # A compound name that only one setting has is that setting, whatever the value.
        own = [key for key, _ in keys] if len(keys) == 1 and "_" in name else []
        if same or own:
            found.append(f"{rel}:{qualname}:{name} = {value!r} "
                         f"(schema: {', '.join(same or own)} = {keys[0][1] if own and not same else value!r})")
    return sorted(found)


def test_no_library_signature_restates_a_schema_default():
    found = restated_defaults()
    assert not found, "defaults re-stated outside the config schema (take the config section or a required " \
                      "argument, or add the parameter to ALLOWED with the reason):\n  " + "\n  ".join(found)


def test_the_allow_list_names_parameters_that_still_exist():
    """An entry whose parameter went away would silently allow its next namesake."""
    present = {f"{qualname}:{name}" for _, qualname, name, _ in keyword_defaults(PACKAGE)}
    assert not set(ALLOWED) - present, f"ALLOWED entries without a matching parameter: {sorted(set(ALLOWED) - present)}"


def test_the_check_catches_a_restated_default(tmp_path):
    """The same value as the schema's, or any value for a name only one setting has (lambda_priv); a
    generic name (seed) or a generic name with its own value (batch_size=7: a chunk size) passes."""
    (tmp_path / "lib.py").write_text("def walk(x, lambda_eq=1.0, seed=0, batch_size=7, lambda_priv=0.1):\n    return x\n")
    assert restated_defaults(tmp_path) == ["lib.py:walk:lambda_eq = 1.0 (schema: walk.lambda_eq = 1.0)",
                                           "lib.py:walk:lambda_priv = 0.1 (schema: walk.lambda_priv = 1.0)"]
