"""Outputs of the `data` stage: the decoded images with their manifest, and the split summary."""
from __future__ import annotations

from .stage_outputs import StageOutputs


class DataOutputs(StageOutputs):
    stage = "data"
    REQUIRED = ("manifest.csv", "summary.json")
    CHECKED = ("classes.json", "images.u8", "images.json", "images.pt")  # the image store (data/image_store.py)
    BAD_IMAGES = "bad_images.csv"

    def real(self):
        """The real data set (data/real_store.RealData), its images read lazily."""
        from ..data.real_store import RealData

        self.existing("manifest.csv")
        return RealData.load(self.folder)

    def summary(self) -> dict:
        return self.read_json("summary.json")
