"""Shared last step of every file-based source: decode the listed files into a SourceData."""
from __future__ import annotations

from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..errors import DataError
from ..images import decode_files
from ..manifest import ImageChunks, SourceData, source_table
from ..source_notes import merge_notes


def require_dir(path: str | None, what: str) -> Path:
    if not path:
        raise DataError(f"{what}: data.root is not set")
    root = Path(path).expanduser()
    if root.exists() and not root.is_dir():
        raise DataError(f"{what}: {root} is a file, not a folder")
    if not root.is_dir():
        raise DataError(f"{what}: folder {root} does not exist")
    return root


def require_file(path: Path, what: str) -> Path:
    if path.is_dir():
        raise DataError(f"{what}: {path} is a folder, not a file")
    if not path.is_file():
        raise DataError(f"{what}: file {path} does not exist")
    return path


def refuse_other_extensions(paths: list[Path], what: str, listing: Path) -> None:
    """A source that builds file names from the ids in its CSV (`<id>.jpeg`) would report every
    image as undecodable when the set was saved as .jpg: name the extension found and the one
    expected instead. Files missing with no namesake are left to decoding (error or skip)."""
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    if not missing:
        return
    namesakes: dict[Path, dict[str, str]] = {}
    for folder in {p.parent for p in missing}:
        names = [f.name for f in folder.iterdir()] if folder.is_dir() else []
        namesakes[folder] = {Path(n).stem.lower(): n for n in names}
    found = [(p, namesakes[p.parent].get(p.stem.lower())) for p in missing]
    found = [(p, other) for p, other in found if other and other != p.name]
    if not found:
        return
    extensions = sorted({Path(other).suffix or "(none)" for _, other in found})
    expected = missing[0].suffix
    raise DataError(f"{what}: {len(found)} image(s) listed in {listing} exist with the extension "
                    f"{', '.join(extensions)} where {expected} is expected (e.g. {found[0][1]} for "
                    f"{found[0][0]}): this source reads <id>{expected}; rename or convert the files")


DECODE_CHUNK = 256  # files decoded per chunk: ~50 MB of 256-px RGB images in memory at a time


def decode_records(paths, labels, patient_ids, data_cfg, official_splits=None,
                   notes: dict[str, list[str]] | None = None) -> SourceData:
    """The listed files as a source whose images are decoded chunk by chunk, at the configured
    channels/resolution, while the data stage writes them (bad files dropped when on_bad_image=skip).
    `notes` are the source's own warnings (e.g. unmatched file names); decoding adds its own per chunk."""
    table = source_table([str(p) for p in paths], labels, patient_ids, official_splits)
    channels, resolution = int(data_cfg.channels), int(data_cfg.resolution)
    files = table["path"].tolist()

    def chunks():
        columns = (TextColumn("decoding images"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task("decode", total=len(files))
            for start in range(0, len(files), DECODE_CHUNK):
                yield decode_files(
                    files[start:start + DECODE_CHUNK],
                    channels=channels,
                    resolution=resolution,
                    on_bad_image=str(data_cfg.on_bad_image),
                    num_threads=max(1, int(data_cfg.num_workers)),
                    progress=lambda n: progress.advance(task, n),
                    min_side=int(data_cfg.min_side),
                )

    return SourceData(images=ImageChunks((channels, resolution, resolution), chunks), table=table,
                      notes=merge_notes(notes or {}))
