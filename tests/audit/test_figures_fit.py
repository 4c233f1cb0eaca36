"""Every figure the report and the sweep write shows all of its text: each drawn text artist
(titles, labels, tick labels, legends, annotations) lies inside the figure's canvas, as the
PNG is saved. A title cut off at the right edge (report/path_curve.png) fails here."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.text import Text

from lightning_privgan.audit.figures import save_image_grid
from lightning_privgan.audit.path_curve import plot_path_curves, summarize_path_distances

TOLERANCE_PX = 1.0  # anti-aliasing rounds extents by a pixel


def texts_outside(fig: Figure) -> list[str]:
    """Each text that the renderer draws while saving `fig`, with its extent, where it sticks out."""
    drawn: list[tuple[str, object]] = []
    draw = Text.draw

    def record(self, renderer):
        draw(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self.get_text(), self.get_window_extent(renderer)))

    Text.draw = record
    try:
        fig.canvas.draw()
    finally:
        Text.draw = draw
    assert drawn, "no text was drawn: the check saw nothing"
    canvas = fig.bbox
    return [f"{text!r} at x {box.x0:.0f}..{box.x1:.0f}, y {box.y0:.0f}..{box.y1:.0f} "
            f"(canvas {canvas.width:.0f} x {canvas.height:.0f})"
            for text, box in drawn
            if box.x0 < canvas.x0 - TOLERANCE_PX or box.x1 > canvas.x1 + TOLERANCE_PX
            or box.y0 < canvas.y0 - TOLERANCE_PX or box.y1 > canvas.y1 + TOLERANCE_PX]


@pytest.fixture
def saved_figures(monkeypatch):
    """{file name: texts outside the canvas} for every figure saved while the test runs."""
    seen: dict[str, list[str]] = {}
    savefig = Figure.savefig

    def checked(self, fname, *args, **kwargs):
        seen[str(getattr(fname, "name", fname)).rsplit("/", 1)[-1]] = texts_outside(self)
        return savefig(self, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", checked)
    return seen


def _assert_all_fit(seen: dict[str, list[str]]) -> None:
    assert seen, "no figure was saved"
    outside = {name: texts for name, texts in seen.items() if texts}
    assert not outside, outside


def test_every_figure_of_the_report_fits_its_canvas(tmp_path, saved_figures):
    from lightning_privgan.stages.report import build_report
    from tests.helpers.report_inputs import fabricate_report_inputs as _fabricate

    run_dir = tmp_path / "fab"
    _fabricate(run_dir)  # path curve, a PLAN grid and the k-same anchors' grid (6 small images, a long title)
    build_report(run_dir)
    written = {p.name for p in (run_dir / "report").glob("*.png")}
    assert {"path_curve.png", "grid_plan.png", "grid_ksame.png"} <= written
    assert len(saved_figures) == len(written)
    _assert_all_fit(saved_figures)


def test_every_figure_of_the_sweep_fits_its_canvas(tmp_path, saved_figures):
    from lightning_privgan.sweep.collect import baseline_rows, cell_row, sweep_table
    from lightning_privgan.sweep.grid import SweepCell
    from lightning_privgan.sweep.sweep_report import write_sweep_outputs
    from tests.helpers.sweep_cells import PLAN_D, fabricate_outputs

    rows = []
    for lam, steps, accs in ((0.0, 100, [0.6, 0.7, 0.8]), (3.0, 100, [0.5, 0.55, 0.6]), (0.3, 300, [0.7, 0.72, 0.9]),
                             (3.0, 300, [0.4, 0.5, 0.61])):
        cell = SweepCell(lam, steps)
        fabricate_outputs(tmp_path / cell.name, {"plan": accs}, {"plan": [x + lam / 10 for x in PLAN_D]})
        rows.append(cell_row(tmp_path / cell.name, cell))
    fabricate_outputs(tmp_path / "base", {"linear": [0.6, 0.62, 0.64], "real": [0.9, 0.9, 0.9]}, {"linear": PLAN_D})
    write_sweep_outputs(sweep_table(rows + baseline_rows(tmp_path / "base")), tmp_path / "sweep", tmp_path / "base", [])
    assert {p.name for p in (tmp_path / "sweep").glob("*.png")} == {"sweep.png", "sweep_why.png"}
    assert len(saved_figures) == 2
    _assert_all_fit(saved_figures)


@pytest.mark.parametrize("count,title", [(2, "k-same anchors (each the mean latent of >= k patients)"),
                                         (64, "PLAN (the paper's walk) samples"), (1, "real samples")])
def test_image_grids_fit_their_titles_whatever_the_number_of_images(tmp_path, saved_figures, count, title):
    images = torch.randint(0, 256, (count, 1, 8, 8), dtype=torch.uint8)
    save_image_grid(images, tmp_path / "grid.png", origin="synthetic", allow_real_images=False, title=title)
    _assert_all_fit(saved_figures)


@pytest.mark.parametrize("distance,scale", [("auditor", 1.0), ("l2", 100.0), ("lpips", 0.01)])
def test_the_path_curve_keeps_its_whole_title(tmp_path, saved_figures, distance, scale):
    """Wide tick labels (l2 distances in the hundreds) push the axes right, and the title with them."""
    curves = {m: summarize_path_distances(torch.rand(4, 12) * scale) for m in ("linear", "plan")}
    plot_path_curves(curves, tmp_path / "path_curve.png", distance)
    assert len(saved_figures) == 1
    _assert_all_fit(saved_figures)


def test_a_figure_whose_text_sticks_out_is_saved_whole_not_cut(tmp_path):
    """The safety net for text no layout foresaw (a long class or distance name): the PNG grows."""
    import matplotlib.pyplot as plt
    from PIL import Image

    from lightning_privgan.audit.figures import fits_canvas, save_figure

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("a title far longer than three inches of figure can hold at this size")
    assert not fits_canvas(fig)
    with Image.open(save_figure(fig, tmp_path / "long.png")) as png:
        assert png.width > 3 * 120  # wider than the 3 inches at 120 dpi it was drawn on
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("short")
    fig.tight_layout()
    assert fits_canvas(fig)
    with Image.open(save_figure(fig, tmp_path / "short.png")) as png:
        assert png.size == (3 * 120, 2 * 120)  # a figure that fits is saved as laid out
