"""What a source did to its input without refusing it, said out loud.

The data stage prints one warning per kind with the count and a few file names, and
records the counts in summary.json: nothing is upscaled, dropped or left unread silently.
"""
from __future__ import annotations

NOTE_TEXT = {
    "upscaled": "image(s) smaller than data.resolution were upscaled (data.min_side sets the smallest side accepted)",
    "alpha_dropped": "image(s) had an alpha channel, which was dropped (transparent areas keep their colour values)",
    "missing_patient_ids": "row(s) of the folder CSV have no patient_id; each such image is its own patient "
                           "(data.allow_missing_patient_ids=true), so two images of one patient may sit in different splits",
    "unmatched_files": "file(s) in the data folder do not match the source's file-name pattern and were not read",
}


def merge_notes(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for part in parts:
        for kind, files in part.items():
            merged.setdefault(kind, []).extend(files)
    return merged
