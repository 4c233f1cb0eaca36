"""Why PLAN does or does not move away from real patients: what its two guides see, in a finished run.

Prints, for the run's φ_id (the walker's privacy guide):
- per-image KL(uniform ‖ φ_id) and top-1 probability on real training images (patients φ_id
  knows), on holdout images (patients it never saw), and on the linear and PLAN paths' inner
  points. The walk lowers this KL; if the path images already score like unseen patients, the
  privacy term has little left to push.
- at the start of the walk (the linear path), the gradient norm of each term of the paper's
  loss with respect to the inner latents, λ-weighted as the walk weighs them: which term sets
  the walk's direction at the run's λ_priv, and the λ_priv at which privacy would match class.

    python benchmarks/why_plan.py runs/demo [--pairs 24] [--threads 1]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from lightning_privgan.audit.path_curve import render_path_points
from lightning_privgan.models.components.channel_adapter import expected_channels, match_channels
from lightning_privgan.stages.outputs import RunFolder
from lightning_privgan.walk.losses import cross_entropy_per_image, kl_uniform_per_image


@torch.no_grad()
def scores(net: torch.nn.Module, images: torch.Tensor, batch: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image: KL(uniform ‖ softmax) and the top-1 probability."""
    channels, kl, top = expected_channels(net), [], []
    for i in range(0, len(images), batch):
        logits = net(match_channels(images[i:i + batch], channels)).float()
        kl.append(kl_uniform_per_image(logits))
        top.append(logits.softmax(1).max(1).values)
    return torch.cat(kl), torch.cat(top)


def term_gradients(G, id_net, class_net, paths: torch.Tensor, labels: torch.Tensor, noise_mode: str) -> dict:
    """Mean over inner points of ‖∂term/∂w‖ for the privacy (KL) and class (CE) terms, on `paths`."""
    P, n = paths.shape[:2]
    inner = paths[:, 1:-1].reshape(P * (n - 2), -1).clone().requires_grad_(True)
    y = labels.repeat_interleave(n - 2)
    images = G.synthesize(inner, noise_mode=noise_mode).clamp(-1, 1).float()
    norms = {}
    for name, net, loss in (("priv", id_net, lambda lg: kl_uniform_per_image(lg)),
                            ("cls", class_net, lambda lg: cross_entropy_per_image(lg, y))):
        (grad,) = torch.autograd.grad(loss(net(match_channels(images, expected_channels(net))).float()).sum(),
                                      inner, retain_graph=True)
        norms[name] = float(grad.norm(dim=1).mean())
    return norms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a finished run folder (runs/<name>)")
    parser.add_argument("--pairs", type=int, default=24, help="paths scored per method")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    run = RunFolder(args.run)
    cfg = run.config()
    if cfg is None:
        raise SystemExit(f"{args.run} has no config.yaml: not a run folder")
    noise_mode = cfg.walk.noise_mode
    G = run.stage("gan").generator("cpu")  # type: ignore[attr-defined]
    for p in G.parameters():
        p.requires_grad_(False)
    id_net = run.stage("identity").model()  # type: ignore[attr-defined]
    class_net = run.stage("class_guide").model()  # type: ignore[attr-defined]
    data = run.stage("data").real()  # type: ignore[attr-defined]
    walked = run.stage("walk").paths()  # type: ignore[attr-defined]
    labels = walked["labels"][:args.pairs]

    print(f"run {args.run} (λ_priv {cfg.walk.lambda_priv}, λ_cls {cfg.walk.lambda_cls}, "
          f"{len(run.stage('identity').identities())} identities in φ_id)")  # type: ignore[attr-defined]
    print(f"{'images':<28}{'n':>6}{'KL(u ‖ φ_id) mean':>20}{'median':>10}{'top-1 p mean':>15}")
    rows = {"real train (known patients)": data.split("train").read_all().images,
            "real holdout (unseen)": data.split("holdout").read_all().images}
    for method in ("linear", "plan"):
        paths = walked[method][:args.pairs]
        with torch.no_grad():
            rows[f"{method} path, inner points"] = render_path_points(G, paths[:, 1:-1], noise_mode, 64)
    for name, images in rows.items():
        kl, top = scores(id_net, images)
        print(f"{name:<28}{len(images):>6}{kl.mean():>20.3f}{kl.median():>10.3f}{top.mean():>15.3f}")

    norms = term_gradients(G, id_net, class_net, walked["linear"][:args.pairs], labels, noise_mode)
    lam_priv, lam_cls = float(cfg.walk.lambda_priv), float(cfg.walk.lambda_cls)
    print("\nAt the start of the walk (linear path), mean ‖∂/∂w‖ per inner point:")
    print(f"  privacy term  λ_priv·KL: {lam_priv * norms['priv']:.4g}  (unweighted {norms['priv']:.4g})")
    print(f"  class term    λ_cls·CE:  {lam_cls * norms['cls']:.4g}  (unweighted {norms['cls']:.4g})")
    if norms["priv"] > 0:
        print(f"  λ_priv at which the two match: {lam_cls * norms['cls'] / norms['priv']:.3g}")


if __name__ == "__main__":
    main()
