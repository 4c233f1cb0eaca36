"""`build_report(run_dir)`: runs/<name>/report.md with its table, figures and glossary.

Everything is rebuilt from files the stages saved (config.yaml, downstream/summary.csv,
audit/audit.json, audit/path_curve.json, audit/grid_<source>.pt), so
`privgan report runs/<name>` works without models, data or a GPU.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from omegaconf import OmegaConf

from ..pipeline.atomic import atomic_path, write_text_atomic
from .figures import save_image_grid
from .glossary import GLOSSARY
from .paired_difference import PairedDifference, describe
from .path_curve import PathCurve, plot_path_curves
from .real_image_guard import may_publish
from .report_table import markdown_table, read_audit, report_table, source_label


def _policy(run_dir: Path):
    """The run's resolved config when saved; otherwise the safe defaults (no real images, no W&B)."""
    path = run_dir / "config.yaml"
    cfg = OmegaConf.load(path) if path.is_file() else OmegaConf.create({})
    allow_real = bool(OmegaConf.select(cfg, "logging.allow_real_images", default=False))
    return cfg, allow_real


def _grids(run_dir: Path, out: Path, allow_real: bool, anchor_method: str | None) -> tuple[list[tuple[str, Path, str]], list[str]]:
    figures, notes = [], []
    for path in sorted((run_dir / "audit").glob("grid_*.pt")):
        source = path.stem[len("grid_") :]
        blob = torch.load(path, map_location="cpu", weights_only=False)
        origin = blob["origin"]
        if not may_publish(origin, allow_real):
            notes.append(f"{source_label(source)}: real images are not shown (logging.allow_real_images is false).")
            continue
        if source == "ksame":
            title = ("k-same anchors (each the mean latent of >= k patients)" if anchor_method in (None, "ksame")
                     else f"walk anchors ({anchor_method})")
        else:
            title = f"{source_label(source)} samples"
        png = save_image_grid(blob["images"], out / f"grid_{source}.png", origin=origin, allow_real_images=allow_real, title=title)
        figures.append((title, png, origin))
    return figures, notes


def _setup_lines(audit: dict) -> list[str]:
    lines = [f"- Fréchet distance features: {audit['fd_features']}."]
    q = audit.get("near_duplicate_quantile")
    lines.append("- Near-duplicate thresholds (quantile {} of other-patient distances): {}.".format(
        q, ", ".join(f"{k} {v:.4f}" for k, v in audit["thresholds"].items())))
    false_alarm = audit.get("reid_holdout_false_alarm_rate")
    lines.append(f"- Re-identification: confidence ≥ {audit['reid_confidence']}; uniform chance {audit['reid_chance']:.4f}; "
                 "auditor false alarms on holdout patients " + ("n/a (no holdout)" if false_alarm is None else f"{false_alarm:.4f}") + ".")
    setup = audit.get("membership_setup", {})
    if setup:
        shadow = setup.get("shadow_train_balanced_accuracy")
        lines.append(f"- Membership inference: {setup['members']} members, {setup['nonmembers']} non-members, "
                     f"{setup['shadow_models']} shadow models" + (f" (attack accuracy on shadow data {shadow:.3f})" if shadow is not None else "") + ".")
    lines += [f"- {why}." for why in audit.get("skipped", [])]
    return lines


def build_report(run_dir: str | Path) -> Path:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run folder {run_dir} does not exist")
    cfg, allow_real = _policy(run_dir)
    out = run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    table = report_table(run_dir)
    if table.empty:
        raise FileNotFoundError(f"{run_dir} holds neither downstream/summary.csv nor audit/audit.json: nothing to report")
    with atomic_path(out / "table.csv") as tmp:
        table.to_csv(tmp, index=False)
    audit = read_audit(run_dir)
    anchor_method = (audit or {}).get("anchor_method")
    figures: list[tuple[str, Path, str]] = []
    md = [f"# Report: {run_dir.name}", "", "## Utility and privacy per training source", "",
          markdown_table(table, anchor_method), "",
          "Table as CSV: [report/table.csv](report/table.csv)", ""]
    curve_json = run_dir / "audit" / "path_curve.json"
    if curve_json.is_file():
        curve = json.loads(curve_json.read_text())
        if curve["curves"]:
            curves = {m: PathCurve(**c) for m, c in curve["curves"].items()}
            png = plot_path_curves(curves, out / "path_curve.png", curve["distance"])
            figures.append(("Distance to the nearest real image along the path", png, "synthetic"))
            md += ["## Distance to the nearest real image along the path", "", "![path curve](report/path_curve.png)", ""]
            for m, c in curves.items():
                md.append(f"- {m}: closest point on average at step {sum(c.closest_step) / len(c.closest_step):.1f} "
                          f"of {len(c.mean) - 1}, mean closest distance {sum(c.min_distance) / len(c.min_distance):.4f}.")
            md += paired_lines(curve.get("paired") or {}, curve["distance"])
            md.append("")
    grids, notes = _grids(run_dir, out, allow_real, anchor_method)
    figures += grids
    if grids or notes:
        md += ["## Samples", ""] + [f"![{t}](report/{p.name})" for t, p, _ in grids] + [""] + [f"- {n}" for n in notes] + [""]
    if audit is not None:
        md += ["## Audit settings", ""] + _setup_lines(audit) + [""]
    md += _sweep_lines(run_dir)
    md += ["## Glossary", "", GLOSSARY]
    report = run_dir / "report.md"
    write_text_atomic(report, "\n".join(md))
    if OmegaConf.select(cfg, "logger.wandb.enabled", default=False):
        from .wandb_report import log_report

        log_report(cfg, table, figures, allow_real, out)
    return report


def _sweep_lines(run_dir: Path) -> list[str]:
    """A link to the privacy–utility sweep of this run (`privgan sweep`), where one was written."""
    from ..sweep.cell_folder import sweep_folder

    sweep = sweep_folder(run_dir)
    if not (sweep / "sweep.md").is_file():
        return []
    rel = f"../{sweep.name}"
    return ["## Privacy–utility sweep", "", f"λ_priv × walk.optim_steps from this run: [{rel}/sweep.md]({rel}/sweep.md)",
            "", f"![sweep]({rel}/sweep.png)", ""]


def paired_lines(paired: dict, distance: str) -> list[str]:
    """The report's answer to 'did PLAN beat linear?' on the shared pairs (audit/paired_difference.py)."""
    if not paired:
        return []
    return ["", "PLAN against linear on the same pairs (paired, percentile bootstrap over pairs):",
            "- " + describe(f"closest {distance} distance to a real image",
                            PairedDifference(**paired["closest_distance"]), "higher"),
            "- " + describe(f"share of path points below the near-duplicate threshold ({paired['threshold']:.4f})",
                            PairedDifference(**paired["near_duplicate_share"]), "lower")]
