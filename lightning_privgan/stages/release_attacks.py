"""The privacy audit's release-level membership attacks (audit/attacks/): run, written, drawn.

Image-set attacks on every audited synthetic source (the images the audit already holds, as
released: gated when the stream's gate is on) and on random samples of G; generator attacks
once per run (reconstruction through G on audit.attack_samples images per side; D from the
GAN checkpoint when one was kept). Outputs in the stage folder: release_attacks.json,
release_attacks.csv, roc_closest_record_<distance>.png (one curve per source, plus the null
control) and roc_generator.png.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from ..audit.attacks.attack_table import attack_rows
from ..audit.attacks.candidates import attack_candidates
from ..audit.attacks.generator_attacks import generator_attacks
from ..audit.attacks.image_set_attacks import image_set_attacks
from ..audit.attacks.roc import without_roc_curves
from ..audit.attacks.roc_figure import plot_attack_rocs
from ..core.atomic import atomic_path, write_json_atomic
from ..models.discriminator_io import load_discriminator
from ..pipeline.stage import StageContext
from .outputs import GanOutputs

JSON, CSV = "release_attacks.json", "release_attacks.csv"


@torch.no_grad()
def random_samples(G, count: int, num_classes: int, seed: int, batch: int) -> torch.Tensor:
    """`count` images of G from random z (classes uniform): what releasing G's samples gives away."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(count, G.z_dim, generator=g)
    labels = torch.randint(0, max(num_classes, 1), (count,), generator=g)
    out = [G.synthesize(G.map(z[i:i + batch].to(G.device), labels[i:i + batch].to(G.device)), "const").clamp(-1, 1).cpu()
           for i in range(0, count, batch)]
    return torch.cat(out)


def _discriminator(ctx: StageContext):
    """(D or None, a sentence saying where it came from or why there is none)."""
    if ctx.cfg.gan.pretrained is not None:
        return None, "an imported network pickle carries no discriminator here"
    path = ctx.input("gan").path(GanOutputs.CHECKPOINT)
    if not path.is_file():
        return None, f"no GAN checkpoint at {path} (gan.checkpoint_every_kimg was never crossed)"
    D, kimg = load_discriminator(path, ctx.device)
    return D, f"D of the GAN checkpoint at {kimg:g} kimg"


def _figures(ctx: StageContext, image_sets: dict, generator: dict | None) -> list[str]:
    written = []
    for kind, null in image_sets["null_controls"].items():
        curves = {s: {**v["closest_record"][kind]["roc"], "auc": v["closest_record"][kind]["auc"]["value"]}
                  for s, v in image_sets["sources"].items()}
        if "closest_record" in null:
            curves["null control (val/test)"] = {**null["closest_record"]["roc"],
                                                 "auc": null["closest_record"]["auc"]["value"]}
        name = f"roc_closest_record_{kind}.png"
        plot_attack_rocs(curves, ctx.out / name, f"closest-record attack ({kind})")
        written.append(name)
    curves = {a: {**generator[a]["roc"], "auc": generator[a]["auc"]["value"]}
              for a in ("reconstruction", "discriminator") if generator and "roc" in generator.get(a, {})}
    if curves:
        plot_attack_rocs(curves, ctx.out / "roc_generator.png", "attacks on the generator")
        written.append("roc_generator.png")
    return written


def run_release_attacks(ctx: StageContext, train, holdout, outsiders: torch.Tensor, source_images: dict,
                        kinds: dict, G) -> dict:
    """Run every attack, write JSON, CSV and figures into the stage folder; the JSON's content."""
    cfg, acfg = ctx.cfg, ctx.cfg.audit
    if not acfg.release_attacks:
        return {"skipped": "audit.release_attacks is false"}
    if len(holdout) == 0 or len(np.unique(holdout.patient_ids)) < 2:
        why = "release-level attacks skipped: the data has no holdout split of two or more patients (non-members)"
        ctx.console.print(f"[yellow]{why}")
        write_json_atomic(ctx.out / JSON, {"skipped": why})
        return {"skipped": why}
    started = time.time()
    sources = {s: v for s, v in source_images.items() if s != "real"}  # 'real' is the holdout itself, no release
    sources["random"] = random_samples(G, acfg.samples_per_source, cfg.data.num_classes, ctx.seed("attack_random"),
                                       acfg.batch_size)
    cand = attack_candidates(train, holdout, outsiders, ctx.seed("attack_candidates"))
    image_sets = image_set_attacks(sources, cand, kinds, acfg.attack_resamples, ctx.seed("attack_images"), ctx.device)
    for s, v in image_sets["sources"].items():
        best = v["best"]
        ctx.console.print(f"[bold]attacks[/] {s}: " + ("no usable distance" if best is None else
                          f"closest record ({best['distance']}) AUC {best['auc']['value']:.3f} "
                          f"[{best['auc']['low']:.3f}, {best['auc']['high']:.3f}]"))
    D, note = _discriminator(ctx)
    small = attack_candidates(train, holdout, outsiders, ctx.seed("attack_generator"), cap=acfg.attack_samples)
    generator = generator_attacks(G, D, small, cfg.gan.projection, acfg.attack_resamples, ctx.seed("attack_generator"),
                                  discriminator_note=note, say=lambda m: ctx.console.print(f"[bold]attacks[/] {m}"))
    result = {"image_sets": image_sets, "generator": generator, "figures": [], "seconds": None}
    result["figures"] = _figures(ctx, image_sets, generator)
    result["seconds"] = round(time.time() - started, 1)
    with atomic_path(ctx.out / CSV) as tmp:
        attack_rows(image_sets, generator).to_csv(tmp, index=False)
    write_json_atomic(ctx.out / JSON, result)
    ctx.console.print(f"[bold]attacks[/] release-level attacks took {result['seconds']:.1f} s")
    return result


def attack_summary(result: dict) -> dict:
    """The part audit.json keeps: per source the best attack, the paired verdicts, what was skipped."""
    if "skipped" in result:
        return {"skipped": result["skipped"]}
    sets = result["image_sets"]
    return {"best": {s: v["best"] for s, v in sets["sources"].items()},
            "paired": {k: v["verdict"] for k, v in sets["paired"].items()},
            "unusable_distances": [k for k, v in sets["null_controls"].items() if v["usable"] is False],
            # The release card quotes these for a hospital that releases G too (release/card.py).
            "generator": without_roc_curves(result.get("generator")),
            "seconds": result["seconds"]}

