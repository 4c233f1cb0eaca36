"""When has a PLAN walk converged? Early-stopped paths against the paper's fixed 500 Adam steps.

    python benchmarks/walk_early_stop.py runs/demo [--pairs 8] [--steps 500] [--criteria 20:1e-3 10:1e-3]
                                         [--threads 2] [--paper] [--no-rerun] [--json out.json]

Reads a run whose anchors, identity, class_guide and gan stages have finished and walks its
first --pairs pairs (the walk stage's pairs, same order) with the run's walk settings:
- twice at the fixed budget (--steps, the paper's 500), so the float32 run-to-run difference
  of the very same walk is measured (Adam turns round-off into lr-sized steps: docs/walker.md);
  that difference is the yardstick an early stop is held to;
- once per criterion `patience:rel_tol` (walk.early_stop_patience / early_stop_rel_tol);
- with --paper, the paper's own loop (benchmarks/paper_reference.py: one pair at a time, every
  step rendered, --steps fixed) on the same pairs with the run's lr and lambdas, side by side in
  the same process: the time-to-result ratio of the early-stopped walk against the paper's code.
Every set of paths is then rendered (const noise) and measured with what the audit measures:
φ_id's KL to uniform (the privacy term), the auditor's nearest-real distance of every inner
point (mean, and each path's closest point), and φ_class's agreement with the pair's label.
Prints per variant: wall seconds, pair-steps taken (Σ over steps of the active pairs), the
step the last pair stopped at, and each figure's difference to the first fixed-budget walk
beside the second fixed-budget walk's difference (the noise floor).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from omegaconf import OmegaConf

from lightning_privgan.audit.path_curve import render_path_points
from lightning_privgan.metrics.distances import distance_kind, nearest_real
from lightning_privgan.models.components.channel_adapter import expected_channels, match_channels
from lightning_privgan.stages.outputs import RunFolder
from lightning_privgan.walk.losses import kl_uniform_per_image
from lightning_privgan.walk.paths import pair_steps_taken, walk


def _inputs(run_dir: Path, pairs: int):
    run = RunFolder(run_dir)
    cfg = run.config()
    if cfg is None:
        raise FileNotFoundError(f"{run_dir} has no config.yaml: not a run folder")
    selected = run.stage("anchors").pairs()
    w = run.stage("anchors").anchors()["w"]
    chosen = selected["pairs"][:pairs]
    nets = {"G": run.stage("gan").generator(), "id": run.stage("identity").model(),
            "cls": run.stage("class_guide").model(), "auditor": run.stage("auditor").model()}
    train = run.stage("data").real().split("train").read_all()
    return cfg, nets, w[chosen[:, 0]], w[chosen[:, 1]], selected["labels"][:pairs], train


class _ChannelMatched(torch.nn.Module):
    """A classifier that takes the paper's 3-channel repeat of a grayscale image: the run's
    networks take the data's channels, and any one of three equal channels is the image."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        want = expected_channels(self.net)
        return self.net(x[:, :1] if want == 1 and x.shape[1] == 3 else match_channels(x, want))


def _paper_walk(cfg, nets, w_a, w_b, labels, steps: int) -> dict:
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from paper_reference import paper_walk

    id_net, class_net = _ChannelMatched(nets["id"]), _ChannelMatched(nets["cls"])
    lambdas = (cfg.walk.lambda_priv, cfg.walk.lambda_eq, cfg.walk.lambda_cls)
    start = time.perf_counter()
    paths = torch.stack([paper_walk(nets["G"], w_a[p], w_b[p], int(labels[p]), id_net, class_net, cfg.walk.n_steps,
                                    steps, lr=cfg.walk.lr, lambdas=lambdas)[0] for p in range(len(w_a))])
    return {"paths": paths, "seconds": time.perf_counter() - start, "pair_steps": len(w_a) * steps,
            "last_step": steps}


def _walk(cfg, nets, w_a, w_b, labels, steps: int, patience: int, rel_tol: float) -> dict:
    walk_cfg = OmegaConf.merge(cfg.walk, {"optim_steps": steps, "early_stop_patience": patience,
                                          "early_stop_rel_tol": rel_tol})
    log: list[dict] = []
    start = time.perf_counter()
    paths = walk(nets["G"], w_a, w_b, labels, walk_cfg, nets["id"], nets["cls"], method="plan", progress=False,
                 log_fn=lambda step, terms: log.append({"step": step, **terms}))
    return {"paths": paths, "seconds": time.perf_counter() - start,
            "pair_steps": pair_steps_taken([log]), "last_step": len(log)}


@torch.no_grad()
def _measure(paths: torch.Tensor, labels: torch.Tensor, nets, train_features, auditor_kind, noise_mode: str) -> dict:
    P, n = paths.shape[:2]
    images = render_path_points(nets["G"], paths[:, 1:-1], noise_mode, batch_size=256)  # inner points only
    figures = {}
    for name in ("id", "cls"):
        net = nets[name]
        logits = net(match_channels(images, expected_channels(net)))
        if name == "id":
            figures["kl_uniform"] = kl_uniform_per_image(logits).mean().item()
        else:
            figures["class_kept"] = (logits.argmax(1).view(P, -1) == labels.view(P, 1)).float().mean().item()
    near = nearest_real(auditor_kind.features(images), train_features, auditor_kind.pairwise).distance.view(P, -1)
    figures["auditor_mean"] = near.mean().item()
    figures["auditor_closest"] = near.min(1).values.mean().item()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=500, help="the fixed budget (the paper's: 500)")
    parser.add_argument("--criteria", nargs="+", default=["20:1e-3", "10:1e-3", "20:1e-4"],
                        help="patience:rel_tol pairs to try")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--paper", action="store_true", help="also time the paper's loop on the same pairs")
    parser.add_argument("--no-rerun", action="store_true", help="skip the second fixed-budget walk (the noise floor)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg, nets, w_a, w_b, labels, train = _inputs(args.run_dir, args.pairs)
    auditor_kind = distance_kind("auditor", auditor=nets["auditor"])
    train_features = auditor_kind.features(train.images)

    if cfg.walk.space != "w" or cfg.walk.noise_mode != "const" or not cfg.walk.clamp:
        if args.paper:
            raise SystemExit(f"--paper needs the paper's walk semantics (space w, noise const, clamp); the run has "
                             f"space {cfg.walk.space}, noise {cfg.walk.noise_mode}, clamp {cfg.walk.clamp}")
    variants = {"fixed": (0, 0.0)} if args.no_rerun else {"fixed": (0, 0.0), "fixed, rerun": (0, 0.0)}
    for spec in args.criteria:
        patience, _, tol = spec.partition(":")
        variants[f"patience {patience}, tol {tol}"] = (int(patience), float(tol))
    rows = {}
    if args.paper:
        result = _paper_walk(cfg, nets, w_a, w_b, labels, args.steps)
        result.update(_measure(result["paths"], labels, nets, train_features, auditor_kind, cfg.walk.noise_mode))
        rows["paper's code, fixed"] = result
        print(f"paper's code: {result['seconds']:.1f} s, {result['pair_steps']} pair-steps", flush=True)
    for name, (patience, tol) in variants.items():
        result = _walk(cfg, nets, w_a, w_b, labels, args.steps, patience, tol)
        result.update(_measure(result["paths"], labels, nets, train_features, auditor_kind, cfg.walk.noise_mode))
        rows[name] = result
        print(f"{name}: {result['seconds']:.1f} s, {result['pair_steps']} pair-steps, last step {result['last_step']}",
              flush=True)
    linear = walk(nets["G"], w_a, w_b, labels, cfg.walk, method="linear")
    rows["linear"] = {"seconds": 0.0, "pair_steps": 0, "last_step": 0,
                      **_measure(linear, labels, nets, train_features, auditor_kind, cfg.walk.noise_mode)}

    keys = ("kl_uniform", "class_kept", "auditor_mean", "auditor_closest")
    ref = rows["fixed"]
    print(f"\n{args.pairs} pairs x {cfg.walk.n_steps} points, up to {args.steps} steps, {args.threads} threads")
    print("| variant | s | pair-steps | last step | path max |Δw| to fixed | " + " | ".join(keys) + " |")
    print("|---" * (5 + len(keys)) + "|")
    out = {}
    for name, r in rows.items():
        gap = (r["paths"] - ref["paths"]).abs().max().item() if "paths" in r else float("nan")
        cells = " | ".join(f"{r[k]:.4f} ({r[k] - ref[k]:+.4f})" for k in keys)
        print(f"| {name} | {r['seconds']:.1f} | {r['pair_steps']} | {r['last_step']} | {gap:.3g} | {cells} |")
        out[name] = {k: v for k, v in r.items() if k != "paths"} | {"max_abs_path_gap": gap}
    if args.paper:
        paper = rows["paper's code, fixed"]["seconds"]
        for name, r in rows.items():
            if r["seconds"] > 0 and not name.startswith("paper"):
                print(f"{name}: {paper / r['seconds']:.1f}x faster than the paper's code at {args.steps} steps")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
