"""Create the project's virtual environment and install the package into it (`make install`).

uv installs the same packages as pip about four times faster from a fresh clone (torch's CUDA
build and its libraries are 6 GB unpacked, which pip unzips one file at a time; docs/performance.md,
"The test suite"), so it is used where it can be had; pip does the install where it cannot. uv does
not read pip's configuration, so the indexes, find-links, constraints and certificate pip is set up
with (pip.conf, PIP_* variables) are handed to uv explicitly; a pip setting uv has no equivalent
for sends the install to pip rather than being dropped.

    python3 scripts/install_venv.py .venv [--installer uv|pip]

Standard library only: it runs before the environment exists.
"""
from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# torch + torchvision first under pip: on the project's CPU machines pip finds this pair on local
# disk, and installing it before the package keeps pip's resolver from weighing other builds.
TORCH = ["torch>=2.1", "torchvision>=0.16"]
PACKAGE = ["-e", f"{REPO}[dev]"]

# pip settings that hold one or more values, and uv's flag for each value.
LIST_FLAGS = {
    "index-url": "--index-url",
    "extra-index-url": "--extra-index-url",
    "find-links": "--find-links",
    "constraint": "--constraint",
    "trusted-host": "--allow-insecure-host",
}
# pip switches and uv's flag for each.
SWITCHES = {"no-index": "--no-index", "pre": "--prerelease=allow"}
# pip settings uv takes from the environment.
ENV_SETTINGS = {
    "cert": "SSL_CERT_FILE",
    "client-cert": "SSL_CLIENT_CERT",
    "proxy": "HTTPS_PROXY",
    "timeout": "UV_HTTP_TIMEOUT",
    "default-timeout": "UV_HTTP_TIMEOUT",
}
# pip settings about pip itself (its own cache, output, version check): nothing to hand on.
PIP_ONLY = {
    "disable-pip-version-check", "no-cache-dir", "cache-dir", "quiet", "verbose", "progress-bar",
    "no-input", "no-color", "root-user-action", "no-warn-script-location", "retries", "log",
}
# pip reads [global], then the command's own section, then PIP_* variables; later ones win.
SECTION_ORDER = {"global": 0, "install": 1, ":env:": 2}
TRUE = {"1", "true", "yes", "on"}


class NotForUv(Exception):
    """A pip setting that uv could not honour: the install goes to pip instead."""


def pip_settings(config_list: str) -> dict[str, str]:
    """pip's effective settings for `pip install`, from the output of `pip config list`.

    Each line is `section.key='value'` (the section is `:env:` for a PIP_* variable); sections other
    than global and install belong to other pip commands.
    """
    ranked: dict[str, tuple[int, str]] = {}
    for line in config_list.splitlines():
        if not line.strip():
            continue
        name, sep, raw = line.partition("=")
        section, dot, key = name.rpartition(".")
        if not sep or not dot:
            raise ValueError(f"unreadable line of `pip config list`: {line!r}")
        if section not in SECTION_ORDER:
            continue
        value = ast.literal_eval(raw) if raw[:1] in "'\"" else raw
        rank = SECTION_ORDER[section]
        if key not in ranked or rank >= ranked[key][0]:
            ranked[key] = (rank, str(value))
    return {key: value for key, (_, value) in ranked.items()}


def uv_arguments(settings: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """uv's flags and environment for pip's settings; NotForUv names those uv has no equivalent for."""
    flags: list[str] = []
    env: dict[str, str] = {}
    unknown = []
    for key, value in sorted(settings.items()):
        if key in LIST_FLAGS:
            flags += [item for v in value.split() for item in (LIST_FLAGS[key], v)]
        elif key in SWITCHES:
            if value.strip().lower() in TRUE:
                flags.append(SWITCHES[key])
        elif key in ENV_SETTINGS:
            env[ENV_SETTINGS[key]] = value
        elif key not in PIP_ONLY:
            unknown.append(key)
    if unknown:
        raise NotForUv(f"pip is configured with {', '.join(unknown)}, which uv has no equivalent for")
    # pip takes the best version across all its indexes; uv's default stops at the first index that
    # lists a package, which would change what an extra index resolves to.
    return flags + ["--index-strategy", "unsafe-best-match"], env


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, check=True, env=None if env is None else {**os.environ, **env})


def install_with_uv(python: Path) -> None:
    """uv into the venv (through pip, so it comes from wherever pip is set to look), then everything."""
    try:
        _run([str(python), "-m", "pip", "install", "-q", "uv"])
    except subprocess.CalledProcessError as err:
        raise NotForUv(f"pip could not install uv (exit {err.returncode})") from err
    listed = subprocess.run([str(python), "-m", "pip", "config", "list"], check=True,
                            capture_output=True, text=True).stdout
    flags, env = uv_arguments(pip_settings(listed))
    uv = python.parent / "uv"
    try:
        # Bytecode now, as pip does: where PYTHONDONTWRITEBYTECODE is set (CI machines, containers)
        # every process would otherwise compile torch and Lightning again (3.4 s -> 8.3 s an import).
        _run([str(uv), "pip", "install", "-q", "--compile-bytecode", "--python", str(python), *flags,
              *TORCH, *PACKAGE], env)
    except subprocess.CalledProcessError as err:
        raise NotForUv(f"uv's install failed (exit {err.returncode})") from err


def install_with_pip(python: Path) -> None:
    pip = [str(python), "-m", "pip", "install", "-q"]
    _run(pip + ["--upgrade", "pip"])
    _run(pip + TORCH)
    _run(pip + PACKAGE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("venv", type=Path)
    parser.add_argument("--installer", choices=("uv", "pip"), default="uv",
                        help="uv where it can be had (pip when it cannot), or pip only")
    args = parser.parse_args(argv)
    python = args.venv / "bin" / "python"
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(args.venv)])
    if args.installer == "uv":
        try:
            install_with_uv(python)
            return 0
        except NotForUv as why:
            print(f"install_venv: {why}; installing with pip instead (slower)", file=sys.stderr)
    install_with_pip(python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
