"""`privgan`: run an experiment's stages, rebuild a report, list stages."""
from __future__ import annotations

import argparse
import errno
import os
import sys
from pathlib import Path

# These must be set before albumentations / wandb are imported anywhere: otherwise
# each import waits on the network (update check) and W&B tries to log in.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="privgan", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an experiment: privgan run experiments/X.yaml key.sub=value ...")
    run.add_argument("experiment", help="experiment YAML (experiments/base.yaml is merged under it)")
    run.add_argument("overrides", nargs="*", help="dot-list overrides, e.g. gan.kimg=10 trainer.devices=2")
    run.add_argument("--dry-run", action="store_true", help="print the resolved config and the stage plan, then exit")
    run.add_argument("--only", action="append", default=[], metavar="STAGE", help="run only these stages")
    run.add_argument("--from", dest="start", metavar="STAGE", help="run this stage and all after it")
    run.add_argument("--force", action="append", default=[], metavar="STAGE", help="re-run even if cached")
    run.add_argument("--base", help="base YAML (default: base.yaml beside the experiment)")
    report = sub.add_parser("report", help="rebuild runs/<name>/report.md from saved results")
    report.add_argument("run_dir")
    export = sub.add_parser("export", help="write a synthetic data set (PNG + manifest.csv) from a finished run")
    export.add_argument("run_dir")
    export.add_argument("--source", default="plan", choices=("plan", "linear"))
    export.add_argument("--num", type=int, default=1000, help="images to write")
    export.add_argument("--out", required=True, help="output folder (replaced atomically)")
    export.add_argument("--seed", type=int, default=0)
    sub.add_parser("stages", help="list the stages in order")
    return parser


def _run(args: argparse.Namespace) -> int:
    from omegaconf import OmegaConf
    from rich.console import Console

    from .config.load import load_experiment
    from .pipeline.cluster import check_slurm_layout
    from .pipeline.runner import Pipeline
    from .stages import load_stages

    console = Console()
    cfg = load_experiment(args.experiment, args.overrides, base=args.base)
    check_slurm_layout(cfg)
    # Lightning's launcher needs the per-node process count to compute ranks of its children.
    os.environ.setdefault("PRIVGAN_DEVICES", str(cfg.trainer.devices))
    pipeline = Pipeline(cfg, load_stages(), console=console)
    if args.dry_run:
        console.print(OmegaConf.to_yaml(cfg, resolve=True))
        pipeline.print_plan(pipeline.plan(args.only, args.start, args.force))
        return 0
    pipeline.run(args.only, args.start, args.force)
    return 0


def main(argv: list[str] | None = None) -> int:
    from .config.errors import ConfigError
    from .pipeline.atomic import DiskFullError

    parser = _parser()
    # Overrides may come after options (`--only gan seed=1`): argparse leaves those unparsed.
    args, extra = parser.parse_known_args(argv)
    unknown = [e for e in extra if e.startswith("-") or args.command != "run"]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "run":
        args.overrides = [*args.overrides, *extra]
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "report":
            from .audit.report import build_report

            path = build_report(Path(args.run_dir))
            print(f"report written to {path}")
            return 0
        if args.command == "export":
            from .export_command import export_from_run

            folder = export_from_run(Path(args.run_dir), args.source, args.num, Path(args.out), args.seed)
            print(f"{args.num} {args.source} images written to {folder} (manifest.csv: path, label, pair, step)")
            return 0
        if args.command == "stages":
            from .stages import load_stages

            for stage in load_stages():
                needs = ", ".join(stage.needs) or "-"
                print(f"{stage.name:<11} needs {needs:<40} {stage.description}")
            return 0
    except ConfigError as err:
        print(str(err), file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as err:
        # Bad input named by the code that found it: one line, not a traceback wall.
        if os.environ.get("PRIVGAN_DEBUG"):
            raise
        print(f"error: {err} (PRIVGAN_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1
    except OSError as err:
        # A full disk is the user's to fix, not a bug: one line that says so (atomic writes
        # left every finished artifact intact, so the same command resumes).
        if err.errno not in (errno.ENOSPC, errno.EDQUOT) or os.environ.get("PRIVGAN_DEBUG"):
            raise
        detail = err.strerror if isinstance(err, DiskFullError) else f"no space left on the device ({err})"
        print(f"error: {detail}", file=sys.stderr)
        return 1
    return 1


if __name__ == "__main__":
    sys.exit(main())
