"""GPU check kit: does the pipeline run on this card, and how fast? One table at the end.

    make gpu-check                              # on a GPU machine (scripts/gpu_check.sh installs carried wheels)
    python benchmarks/gpu_check.py [--only demo gan walker tb_walk] [--out runs/gpu_check]
    python benchmarks/gpu_check.py --cpu-smoke  # the same checks at toy sizes on CPU: proves the kit runs

Checks (each in its own process, so one failure does not hide the others):
  demo      experiments/demo.yaml end to end with ADA on from the first step (gan.augment_p=0.2),
            under trainer.precision 32-true and 16-mixed, at reduced budgets
  gan       benchmarks/bench_gan_speed.py: s/kimg, kimg/h and peak memory at 64 px (small)
            and 256 px (paper), one row per device setting (fp32, TF32, cudnn.benchmark,
            16-mixed, bf16-mixed, channels_last)
  walker    benchmarks/bench_walker.py --presets paper (256 px), and bench_walker_bound.py: the
            walker's ceiling at identical arithmetic on this card
  tb_walk   the walk of experiments/tb.yaml at 64 px: small G, ResNet-18 φ_id and φ_class,
            64 pairs x 16 points x 500 PLAN steps, with tb.yaml's walk settings
Exit status 1 when a check fails.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECKS = ("demo", "gan", "walker", "tb_walk")
TB_WALK_LIMIT_S = 120

# Reduced budgets: every stage runs, each for a few seconds on a GPU.
DEMO_GPU = ["gan.kimg=4", "gan.fd_every_kimg=2", "gan.sample_every_kimg=2", "gan.projection.steps=40",
            "identity.epochs=10", "auditor.epochs=4", "classifier.epochs=4", "walk.optim_steps=50",
            "downstream.seeds=1", "downstream.epochs=3", "stream.samples_per_epoch=512", "audit.samples_per_source=128"]
DEMO_CPU = ["data.resolution=16", "data.phantom.num_patients=24", "data.phantom.scans_per_patient=3",
            "gan.batch_size=8", "gan.kimg=0.032", "gan.channel_base=256", "gan.channel_max=32", "gan.fd_every_kimg=0.016",
            "gan.sample_every_kimg=0.016", "gan.fd_num_images=32", "gan.fd_encoder_epochs=1", "gan.sample_grid=4",
            "gan.projection.steps=3", "gan.projection.batch_size=64", "identity.epochs=1", "identity.width=8",
            "auditor.epochs=1", "auditor.backbone=compact", "auditor.width=8", "classifier.epochs=1",
            "classifier.width=8", "anchors.num_pairs=4", "walk.n_steps=4", "walk.optim_steps=2", "downstream.seeds=1",
            "downstream.epochs=1", "downstream.sources=[real,plan]", "stream.samples_per_epoch=32",
            "audit.samples_per_source=16", "audit.shadow_models=0", "audit.path_pairs=2", "audit.grid_samples=4"]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "WANDB_MODE": "offline", "NO_ALBUMENTATIONS_UPDATE": "1", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


def _run(cmd: list[str], log: Path, timeout: float) -> tuple[int, float, str]:
    """Run a command, keep its output in `log`; (exit status, seconds, last output lines)."""
    started = time.time()
    try:
        done = subprocess.run(cmd, env=_env(), cwd=REPO, capture_output=True, text=True, timeout=timeout)
        code, out = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as err:
        code = 124
        out = (err.stdout or b"").decode(errors="replace") if isinstance(err.stdout, bytes) else (err.stdout or "")
        out += f"\n[timed out after {timeout:.0f} s]"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(out)
    return code, time.time() - started, "\n".join(out.strip().splitlines()[-3:])


def check_demo(args, rows: list) -> None:
    for precision in ("32-true", "16-mixed"):
        name = f"gpu_check_demo_{precision}"
        cmd = [sys.executable, "-m", "lightning_privgan", "run", "experiments/demo.yaml", f"name={name}",
               f"runs_root={args.out}", f"trainer.accelerator={'cpu' if args.cpu_smoke else 'gpu'}",
               f"trainer.precision={precision}", "trainer.progress_bar=false", "gan.augment_p=0.2",
               *(DEMO_CPU if args.cpu_smoke else DEMO_GPU)]
        shutil.rmtree(args.out / name, ignore_errors=True)  # every run of the kit trains afresh
        code, seconds, tail = _run(cmd, args.out / "logs" / f"{name}.log", args.timeout)
        summary = args.out / name / "gan" / "summary.json"
        if code == 0 and summary.is_file() and (args.out / name / "report.md").is_file():
            gan = json.loads(summary.read_text())
            result = f"passed in {seconds:.0f} s (GAN {gan['kimg']:g} kimg, ADA p {gan['augment_p']:.2f}, FD {gan['fd']:.3g})"
        else:
            result = f"FAILED (exit {code}, {seconds:.0f} s): {tail[-300:]}"
        rows.append(("demo, ADA on", precision, result))


def check_gan(args, rows: list) -> None:
    out_json = args.out / "gan_speed.json"
    size = ["--res", "16", "--batch", "8", "--batches", "1", "--warmup", "1", "--variants", "fp32", "bf16-mixed"] \
        if args.cpu_smoke else ["--res", "64", "256"]
    cmd = [sys.executable, "benchmarks/bench_gan_speed.py", "--device", "cpu" if args.cpu_smoke else "cuda",
           *size, "--json", str(out_json)]
    out_json.unlink(missing_ok=True)
    code, seconds, tail = _run(cmd, args.out / "logs" / "gan_speed.log", args.timeout)
    if code != 0 or not out_json.is_file():
        rows.append(("GAN training speed", "", f"FAILED (exit {code}): {tail[-300:]}"))
        return
    for r in json.loads(out_json.read_text())["rows"]:
        peak = f", peak {r['peak_gb']:.1f} GB" if "peak_gb" in r else ""
        finite = "" if r["finite"] else ", NON-FINITE weights"
        rows.append((f"GAN {r['res']} px ({r['preset']}), batch {r['batch']}", r["variant"],
                     f"{r['s_per_kimg']:.2f} s/kimg = {r['kimg_per_h']:.0f} kimg/h{peak}{finite}"))


def _script_rows(args, rows: list, label: str, script: str, size: list[str], log_name: str, keep) -> bool:
    """Run benchmarks/<script> with `size` (output in logs/<log_name>), add its kept output lines as
    rows, or one FAILED row; whether it ran."""
    log = args.out / "logs" / log_name
    code, _, _ = _run([sys.executable, f"benchmarks/{script}", *size], log, args.timeout)
    lines = log.read_text().strip().splitlines()
    setting = " ".join(size[2:])
    if code != 0:
        rows.append((label, setting, f"FAILED (exit {code}): {' '.join(lines[-2:])[-300:]}"))
        return False
    rows.extend((label, setting, line.strip()) for line in keep(lines))
    return True


def check_walker(args, rows: list) -> None:
    size = ["--device", "cpu", "--presets", "tiny", "--pairs", "2", "--n-steps", "4", "--steps", "1"] if args.cpu_smoke \
        else ["--device", "cuda", "--presets", "paper", "--pairs", "16", "--n-steps", "16", "--steps", "5"]
    if not _script_rows(args, rows, "walker benchmark", "bench_walker.py", size, "walker.log",
                        lambda lines: [line for line in lines if "px" in line] or lines[-3:]):
        return
    # The ceiling at identical arithmetic on this card: what the 10x target can be measured against.
    bound = ["--device", "cpu", "--presets", "tiny", "--chunk", "4", "--repeats", "1", "--pairs", "1", "--steps", "1"] \
        if args.cpu_smoke else ["--device", "cuda", "--presets", "paper", "--repeats", "5", "--pairs", "2", "--steps", "2"]
    _script_rows(args, rows, "walker ceiling", "bench_walker_bound.py", bound, "walker_bound.log",
                 lambda lines: lines[-3:])


def tb_walk_worker(cpu_smoke: bool) -> dict:
    """In its own process: time the tb-setting PLAN walk; prints a JSON line."""
    import torch

    from lightning_privgan.config.load import load_experiment
    from lightning_privgan.models.stylegan2.networks import Generator
    from lightning_privgan.models.components.image_classifier import ImageClassifier
    from lightning_privgan.models.stylegan2.presets import resolve_architecture
    from lightning_privgan.walk import paths

    device = "cpu" if cpu_smoke else "cuda"
    res, pairs, n_steps, steps, backbone = (16, 4, 4, 2, "compact") if cpu_smoke else (64, 64, 16, 500, "resnet18")
    cfg = load_experiment(REPO / "experiments" / "tb.yaml", [f"data.resolution={res}", "gan.preset=small",
                                                             f"walk.n_steps={n_steps}", f"walk.optim_steps={steps}"])
    torch.manual_seed(0)
    G = Generator(c_dim=2, img_resolution=res, img_channels=1, **resolve_architecture(cfg.gan)).to(device).eval()
    identities = 400  # about the train patients of Shenzhen + Montgomery
    id_net = ImageClassifier(backbone, 1, res, identities).to(device).eval()
    class_net = ImageClassifier(backbone, 1, res, 2).to(device).eval()
    for net in (G, id_net, class_net):
        net.requires_grad_(False)
    w = G.mapping(torch.randn(2 * pairs, G.z_dim, device=device),
                  torch.nn.functional.one_hot(torch.arange(2 * pairs, device=device) % 2, 2).float())[:, 0]
    labels = torch.arange(pairs, device=device) % 2
    # One timed call, as the walk stage makes it (cuDNN autotuning and allocator growth included).
    start = time.perf_counter()
    result = paths.walk(G, w[:pairs], w[pairs:], labels, cfg.walk, id_net, class_net, method="plan", progress=False)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    out = {"seconds": seconds, "pairs": pairs, "n_steps": n_steps, "optim_steps": steps, "res": res,
           "finite": bool(torch.isfinite(result).all()), "walk_settings": {k: str(v) for k, v in cfg.walk.items()}}
    if device == "cuda":
        out["peak_gb"] = torch.cuda.max_memory_allocated() / 2**30
    return out


def check_tb_walk(args, rows: list) -> None:
    cmd = [sys.executable, __file__, "--tb-walk-worker", *(["--cpu-smoke"] if args.cpu_smoke else [])]
    limit = min(args.timeout, TB_WALK_LIMIT_S)  # the target is 30 s: past the limit, say so and move on
    code, seconds, tail = _run(cmd, args.out / "logs" / "tb_walk.log", limit)
    lines = [line for line in (args.out / "logs" / "tb_walk.log").read_text().splitlines() if line.startswith("{")]
    if code == 124:
        rows.append(("tb walk (PLAN)", "64 pairs x 16 points x 500 steps, 64 px", f"SLOW: not finished in {limit:.0f} s"))
        return
    if code != 0 or not lines:
        rows.append(("tb walk", "", f"FAILED (exit {code}, {seconds:.0f} s): {tail[-300:]}"))
        return
    r = json.loads(lines[-1])
    setting = f"{r['pairs']} pairs x {r['n_steps']} points x {r['optim_steps']} steps, {r['res']} px"
    peak = f", peak {r['peak_gb']:.1f} GB" if "peak_gb" in r else ""
    rows.append(("tb walk (PLAN)", setting, f"{r['seconds']:.1f} s{peak}{'' if r['finite'] else ', NON-FINITE paths'}"))


def device_name(cpu_smoke: bool) -> str:
    import torch

    if cpu_smoke or not torch.cuda.is_available():
        return f"CPU smoke run ({os.cpu_count()} cores), torch {torch.__version__}"
    free, total = torch.cuda.mem_get_info()
    return f"{torch.cuda.get_device_name()} ({total / 2**30:.0f} GiB), torch {torch.__version__}, CUDA {torch.version.cuda}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=CHECKS, default=list(CHECKS))
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "gpu_check")
    parser.add_argument("--cpu-smoke", action="store_true", help="toy sizes on CPU: shows that every piece runs")
    parser.add_argument("--timeout", type=float, default=240, help="seconds allowed per check process")
    parser.add_argument("--tb-walk-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tb_walk_worker:
        print(json.dumps(tb_walk_worker(args.cpu_smoke)))
        return
    import torch

    if not args.cpu_smoke and not torch.cuda.is_available():
        raise SystemExit("gpu_check: no CUDA device visible; use --cpu-smoke to try the kit on a CPU")
    args.out = args.out.resolve()
    started, rows = time.time(), []
    for check in args.only:
        print(f"[gpu-check] {check} ...", flush=True)
        {"demo": check_demo, "gan": check_gan, "walker": check_walker, "tb_walk": check_tb_walk}[check](args, rows)
    print(f"\nGPU check on {device_name(args.cpu_smoke)}, {time.time() - started:.0f} s in all "
          f"(logs in {args.out / 'logs'})\n")
    print("| check | setting | result |")
    print("| --- | --- | --- |")
    for check, setting, result in rows:
        print(f"| {check} | {setting} | {result} |")
    if any("FAILED" in r[2] or "NON-FINITE" in r[2] for r in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
