from lightning_privgan.audit.attacks.roc import roc_auc, roc_curve
from lightning_privgan.audit.attacks.roc_figure import log_axis_floor, plot_attack_rocs


def test_the_figure_is_written_and_its_log_floor_is_below_every_rate(tmp_path):
    fpr, tpr = roc_curve([4, 3, 2, 1], [1, 0, 1, 0])
    curves = {"plan": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "auc": roc_auc([4, 3, 2, 1], [1, 0, 1, 0])}}
    assert log_axis_floor(curves) == 0.25
    out = plot_attack_rocs(curves, tmp_path / "roc.png", "closest record (L2)")
    assert out.is_file() and out.stat().st_size > 1000
