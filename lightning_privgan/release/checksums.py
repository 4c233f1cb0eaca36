"""checksums.sha256 of a release, in `sha256sum` format so `sha256sum -c checksums.sha256` checks it too."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.hashing import file_sha256

CHECKSUMS = "checksums.sha256"


def inside_folder(rel: str) -> bool:
    """A relative path that stays inside the folder (a tampered list could name ../../anything)."""
    parts = Path(rel).parts
    return bool(parts) and not Path(rel).is_absolute() and ".." not in parts


def release_files(folder: Path) -> list[str]:
    """Every file of the release except the checksum list itself, as sorted POSIX paths."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != CHECKSUMS)


def write_checksums(folder: Path) -> Path:
    lines = [f"{file_sha256(folder / rel)}  {rel}\n" for rel in release_files(folder)]
    path = folder / CHECKSUMS
    path.write_text("".join(lines))
    return path


def read_checksums(folder: Path) -> dict[str, str]:
    path = folder / CHECKSUMS
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: {folder} is not a release written by privgan export")
    listed = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64 or not rel:
            raise ValueError(f"{path}, line {n}: expected '<sha256>  <path>', got {line!r}")
        if not inside_folder(rel):
            raise ValueError(f"{path}, line {n}: {rel!r} points outside the release folder")
        listed[rel] = digest
    return listed


@dataclass
class ChecksumReport:
    checked: int = 0
    modified: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.modified or self.missing or self.unlisted)


def check_checksums(folder: Path) -> ChecksumReport:
    listed, report = read_checksums(folder), ChecksumReport()
    for rel, digest in listed.items():
        path = folder / rel
        if not path.is_file():
            report.missing.append(rel)
        elif file_sha256(path) != digest:
            report.modified.append(rel)
        report.checked += 1
    report.unlisted = [rel for rel in release_files(folder) if rel not in listed]
    return report
