"""Stage `report`, and `build_report(run_dir)`: runs/<name>/report.md with its table, figures and glossary.

Everything is rebuilt from files the stages saved (config.yaml, downstream/summary.csv,
privacy_audit/audit.json, privacy_audit/path_curve.json, privacy_audit/grid_<source>.pt), so
`privgan report runs/<name>` works without models, data or a GPU.
"""
from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

from ..audit.attacks.attack_report import release_attack_lines
from ..audit.figures import save_image_grid
from ..audit.glossary import GLOSSARY
from ..audit.paired_difference import PairedDifference, describe
from ..audit.path_curve import PathCurve, plot_path_curves
from ..audit.real_image_guard import may_publish
from ..audit.report_table import markdown_table, report_table, source_label
from ..audit.wandb_report import log_report
from ..core.atomic import atomic_path, write_text_atomic
from ..pipeline.stage import Stage, StageContext
from .outputs import AuditOutputs, ReportOutputs, RunFolder, sweep_folder
from .report_check import partial_lines


def _policy(run: RunFolder):
    """The run's resolved config when saved; otherwise the safe defaults (no real images, no W&B)."""
    cfg = run.config() or OmegaConf.create({})
    allow_real = bool(OmegaConf.select(cfg, "logging.allow_real_images", default=False))
    return cfg, allow_real


def _grids(audit: AuditOutputs, out: Path, allow_real: bool, anchor_method: str | None) -> tuple[list[tuple[str, Path, str]], list[str]]:
    figures, notes = [], []
    for path in audit.grid_files():
        source = path.stem[len("grid_") :]
        blob = audit.read_grid(path)
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
    lines = [f"- FD and KID features: {audit['fd_features']}."]
    if audit.get("kid_subset_size") is not None:
        lines.append(f"- FD and KID use the same n = {audit['fd_samples']} images of every source (each subsampled, "
                     "seeded, to the smallest source unless audit.fd_samples says otherwise; the k-same source has "
                     "only its anchors, N/k), against the whole real train split; KID is the mean ± std over "
                     f"{audit.get('kid_subsets')} random subsets of {audit.get('kid_subset_size')} images.")
    gate = audit.get("gate")
    if gate:
        counts = [f"{s} {v['gate']['rejected']} of {v['gate']['candidates']}" for s, v in audit["sources"].items()
                  if v.get("gate")]
        lines.append(f"- Privacy gate on (threshold {gate['threshold']:.4f}, {gate['threshold_source']}): linear and "
                     "PLAN are audited as released, i.e. the gated samples the downstream classifiers trained on; "
                     "candidates rejected: " + ", ".join(counts) + ".")
    q = audit.get("near_duplicate_quantile")
    lines.append("- Near-duplicate thresholds (quantile {} of other-patient distances): {}.".format(
        q, ", ".join(f"{k} {v:.4f}" for k, v in audit["thresholds"].items())))
    false_alarm = audit.get("reid_holdout_false_alarm_rate")
    lines.append(f"- Re-identification: confidence ≥ {audit['reid_confidence']}; uniform chance {audit['reid_chance']:.4f}; "
                 "auditor false alarms on holdout patients " + ("n/a (no holdout)" if false_alarm is None else f"{false_alarm:.4f}") + ".")
    setup = audit.get("membership_setup", {})
    if setup:
        shadow = setup.get("shadow_train_balanced_accuracy")
        split = setup.get("shadow_split")
        lines.append(f"- Membership inference: {setup['members']} members, {setup['nonmembers']} non-members, "
                     f"{setup['shadow_models']} shadow models" + (f" (members and non-members split {split})" if split else "")
                     + (f" (attack accuracy on shadow data {shadow:.3f})" if shadow is not None else "") + ".")
    lines += [f"- {why}." for why in audit.get("skipped", [])]
    return lines


def build_report(run_dir: str | Path, partial: bool = False) -> Path:
    """`partial`: asked for by `privgan report --partial`; report.md then opens by naming the stages
    whose results are missing or outdated (report_check.py; without it the CLI refuses such a run)."""
    run = RunFolder(run_dir)
    run_dir = run.run_dir
    if not run.exists():
        raise FileNotFoundError(f"run folder {run_dir} does not exist")
    cfg, allow_real = _policy(run)
    audit_outputs: AuditOutputs = run.stage("privacy_audit")  # type: ignore[assignment]
    out = run.stage("report").folder
    out.mkdir(parents=True, exist_ok=True)
    audit = audit_outputs.audit()
    table = report_table(run.stage("downstream").summary(), audit)
    if table.empty:
        raise FileNotFoundError(f"{run_dir} holds neither downstream/summary.csv nor privacy_audit/audit.json: nothing to report")
    with atomic_path(out / "table.csv") as tmp:
        table.to_csv(tmp, index=False)
    anchor_method = (audit or {}).get("anchor_method")
    figures: list[tuple[str, Path, str]] = []
    md = [f"# Report: {run_dir.name}", "", *(partial_lines(run_dir) if partial else []),
          "## Utility and privacy per training source", "",
          markdown_table(table, anchor_method), ""]
    md += budget_lines(run.stage("downstream").budget())
    md += ["Table as CSV: [report/table.csv](report/table.csv)", ""]
    curve = audit_outputs.path_curve()
    if curve is not None:
        if curve["curves"]:
            curves = {m: PathCurve(**c) for m, c in curve["curves"].items()}
            png = plot_path_curves(curves, out / "path_curve.png", curve["distance"])
            figures.append(("Distance to the nearest real image along the path", png, "synthetic"))
            md += ["## Distance to the nearest real image along the path", "", "![path curve](report/path_curve.png)", ""]
            for m, c in curves.items():
                md.append(f"- {m}: closest point on average at step {sum(c.closest_step) / len(c.closest_step):.1f} "
                          f"of {len(c.mean) - 1}, mean closest distance {sum(c.min_distance) / len(c.min_distance):.4f}.")
            md += paired_lines(curve.get("paired") or {}, curve["distance"])
            md += ["", f"Distance ({curve['distance']}) to the closest real image at every step (mean over pairs):", ""]
            md += step_table(curves)
            md.append("")
    md += release_attack_lines(audit_outputs.release_attacks(), audit_outputs.folder.name)
    grids, notes = _grids(audit_outputs, out, allow_real, anchor_method)
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
        log_report(cfg, table, figures, allow_real, out)
    return report


def _sweep_lines(run_dir: Path) -> list[str]:
    """A link to the privacy–utility sweep of this run (`privgan sweep`), where one was written."""
    sweep = sweep_folder(run_dir)
    if not (sweep / "sweep.md").is_file():
        return []
    rel = f"../{sweep.name}"
    return ["## Privacy–utility sweep", "", f"λ_priv × walk.optim_steps from this run: [{rel}/sweep.md]({rel}/sweep.md)",
            "", f"![sweep]({rel}/sweep.png)", ""]


def paired_lines(paired: dict, distance: str) -> list[str]:
    """The report's answer to 'did PLAN beat linear?' on the shared pairs (audit/paired_difference.py):
    over whole paths, then over the inner points the walk optimises (the anchors are shared)."""
    if not paired:
        return []
    threshold = f"below the near-duplicate threshold ({paired['threshold']:.4f})"
    lines = ["", "PLAN against linear on the same pairs (paired, percentile bootstrap over pairs):",
             "- " + describe(f"closest {distance} distance to a real image",
                             PairedDifference(**paired["closest_distance"]), "higher"),
             "- " + describe(f"share of path points {threshold}", PairedDifference(**paired["near_duplicate_share"]),
                             "lower")]
    if "inner_closest_distance" in paired:
        lines += ["- " + describe(f"inner points only (the anchors are shared): closest {distance} distance",
                                  PairedDifference(**paired["inner_closest_distance"]), "higher"),
                  "- " + describe(f"inner points only: share {threshold}",
                                  PairedDifference(**paired["inner_near_duplicate_share"]), "lower")]
    if "endpoint_closest" in paired:
        share = paired["endpoint_closest"]
        lines.append(f"- The closest point of the path is one of its anchors for {share['linear']:.0%} of linear "
                     f"and {share['plan']:.0%} of PLAN paths; there the whole-path closest distance is the "
                     f"anchor's, whatever the walk does.")
    return lines


def budget_lines(b: dict | None) -> list[str]:
    """The downstream training budget, the same for every source (the downstream stage's budget.json)."""
    if b is None:
        return []
    return [f"Every source's classifier trained {b['steps']} optimiser steps × {b['batch_size']} images = "
            f"{b['images_seen']} images seen ({b['epochs']} validation rounds of {b['steps_per_epoch']} steps), with "
            f"`{b['augment']}` augmentation and " + ("inverse-frequency class weights from the source's own labels"
            if b["class_weighting"] else "no class weights") + "; finite sources (real, k-same) are reshuffled and "
            "cycled to reach the budget, the stream draws fresh samples from many paths per batch.", ""]


def step_table(curves: dict[str, PathCurve]) -> list[str]:
    """One row per path step: each method's mean nearest-real distance, and PLAN − linear when both exist."""
    methods = list(curves)
    both = "linear" in curves and "plan" in curves
    header = ["step", *methods] + (["PLAN − linear"] if both else [])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for step in range(len(next(iter(curves.values())).mean)):
        cells = [str(step)] + [f"{curves[m].mean[step]:.4f}" for m in methods]
        if both:
            cells.append(f"{curves['plan'].mean[step] - curves['linear'].mean[step]:+.4f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def run(ctx: StageContext) -> None:
    path = build_report(ctx.run_dir)
    ctx.console.print(f"[bold]report[/] written to {path}")


STAGE = Stage(
    name="report",
    run=run,
    needs=("downstream", "privacy_audit"),
    config_keys=("logging",),
    outputs=ReportOutputs,
    description="paper-style table, path curve, sample grids and glossary (report.md, report/*.csv, report/*.png)",
)
