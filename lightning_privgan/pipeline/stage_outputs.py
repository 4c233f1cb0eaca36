"""The base of every stage's typed outputs: a folder, the files that must exist, clear errors."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar
import torch


class MissingArtifactError(FileNotFoundError):
    """A stage's output file is absent: the stage has not run (or was interrupted)."""


class UnreadableArtifactError(ValueError):
    """A stage's output file exists but does not load (truncated, overwritten)."""


class StageOutputs:
    stage: ClassVar[str] = ""
    # Files a finished stage always leaves; the runner checks them before recording the stage.
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    # Further files (glob patterns) that later stages or commands read. The runner records a
    # digest of these and of REQUIRED when the stage finishes, and re-runs a stage whose files
    # changed since (pipeline/output_digests.py): what a later stage reads is what was recorded.
    CHECKED: ClassVar[tuple[str, ...]] = ()

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.folder)!r})"

    def path(self, name: str) -> Path:
        """Where this stage keeps `name` (for writing, or for a reader that streams the file)."""
        return self.folder / name

    def existing(self, name: str) -> Path:
        """The path of `name`, which must exist."""
        path = self.path(name)
        if not path.exists():
            raise MissingArtifactError(f"{path} is missing; run the '{self.stage}' stage first "
                                       f"(privgan run <experiment> --from {self.stage})")
        return path

    def load_torch(self, name: str, *, weights_only: bool) -> Any:
        """torch.load of `name` on the CPU; a file that does not load is named, with the stage to re-run."""
        path = self.existing(name)
        try:
            return torch.load(path, map_location="cpu", weights_only=weights_only)
        except Exception as err:  # a truncated zip, a pickle error, an empty file: all mean "unusable"
            raise UnreadableArtifactError(
                f"{path} does not load ({type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}); "
                f"re-run the '{self.stage}' stage (privgan run <experiment> --force {self.stage})") from None

    def read_json(self, name: str) -> Any:
        return json.loads(self.existing(name).read_text())

    def read_json_if_present(self, name: str) -> Any:
        """`name`'s JSON, or None when the stage has not written it (a report of a partial run)."""
        path = self.path(name)
        return json.loads(path.read_text()) if path.is_file() else None

    def checked_files(self) -> list[str]:
        """Names (relative to the folder, sorted) of the existing REQUIRED and CHECKED files."""
        names = {name for name in self.REQUIRED if self.path(name).is_file()}
        for pattern in self.CHECKED:
            names.update(p.relative_to(self.folder).as_posix() for p in self.folder.glob(pattern) if p.is_file())
        return sorted(names)

    def missing(self) -> list[str]:
        """REQUIRED files that do not exist (empty for a finished stage)."""
        return [name for name in self.REQUIRED if not self.path(name).exists()]
