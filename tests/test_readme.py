"""The README is a manual a user follows: short, and every link, make target, `privgan` command,
option and config key it names must exist, or the first user who tries it meets an error."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from lightning_privgan.cli.parser import build_parser

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
MAX_LINES = 300
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _pages() -> list[Path]:
    return [README, *sorted((REPO / "docs").glob("*.md"))]


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(line.lstrip("#")) for line in page.read_text().splitlines() if line.startswith("#")}


def _make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", (REPO / "Makefile").read_text(), flags=re.M))


def _config_keys() -> set[str]:
    def flatten(node: dict, prefix: str = "") -> set[str]:
        keys = set()
        for key, value in node.items():
            keys.add(prefix + key)
            if isinstance(value, dict):
                keys |= flatten(value, prefix + key + ".")
        return keys

    return flatten(OmegaConf.to_container(OmegaConf.load(REPO / "experiments" / "base.yaml")))


def _subcommand_options() -> dict[str, set[str]]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return {name: {opt for action in p._actions for opt in action.option_strings}
            for name, p in sub.choices.items()}


def test_readme_is_at_most_300_lines():
    lines = len(README.read_text().splitlines())
    assert lines <= MAX_LINES, f"README.md has {lines} lines; measurements and analyses belong in docs/"


def test_readme_links_the_docs():
    links = LINK.findall(README.read_text())
    assert any(link.startswith("docs/") for link in links), "README.md links no page of docs/"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_local_links_resolve(page):
    broken = []
    for link in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", link):
            continue  # http:, https:, mailto:
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link} (no file {target.relative_to(REPO)})")
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
            broken.append(f"{link} (no heading #{anchor} in {target.name})")
    assert not broken, f"{page.name}: broken links: {broken}"


def _code(text: str) -> str:
    """The README's code: fenced blocks and inline `spans`, where commands and keys are named."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return "\n".join(fenced + re.findall(r"`([^`\n]+)`", prose))


def _paragraphs(text: str) -> list[str]:
    return re.split(r"\n\s*\n", text)


def test_make_targets_named_exist():
    named = set(re.findall(r"(?<![\w-])make ([a-z][\w-]*)", _code(README.read_text())))
    assert {"demo", "test"} <= named, "the README's two commands are make demo and make test"
    missing = named - _make_targets()
    assert not missing, f"README.md names make targets the Makefile lacks: {sorted(missing)}"


def test_privgan_commands_and_options_named_exist():
    """Every `privgan X` is a subcommand and the options after it are X's; an option quoted alone
    (`--overwrite`) in a paragraph about privgan must be one of some subcommand's."""
    options = _subcommand_options()
    every_option = set().union(*options.values())
    flag = re.compile(r"(?<![\w-])(--[a-z][\w-]*)")
    wrong = []
    for paragraph in _paragraphs(README.read_text()):
        units = _code(paragraph).splitlines()
        about_privgan = any(re.search(r"\bprivgan [a-z]", unit) for unit in units)
        for unit in units:
            command = re.search(r"\bprivgan ([a-z]+)", unit)
            if command and command.group(1) not in options:
                wrong.append(f"privgan {command.group(1)}")
            elif command:
                rest = unit[command.end():].split("#")[0]
                wrong += [f"privgan {command.group(1)} {f}" for f in flag.findall(rest)
                          if f not in options[command.group(1)]]
            elif about_privgan and unit.startswith("--"):
                wrong += [f for f in flag.findall(unit) if f not in every_option]
    assert not wrong, f"README.md names commands or options the CLI lacks: {sorted(set(wrong))}"


def test_config_keys_named_exist():
    keys = _config_keys()
    sections = {key for key in keys if "." not in key}
    pattern = r"(?<![\w/.-])((?:%s)(?:\.\w+)+)" % "|".join(sorted(sections))
    named = set(re.findall(pattern, _code(README.read_text())))
    assert len(named) > 10, "the key pattern no longer finds the README's config keys"
    missing = sorted(key for key in named if key not in keys)
    assert not missing, f"README.md names config keys that experiments/base.yaml lacks: {missing}"
