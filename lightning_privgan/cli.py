"""`privgan`: run an experiment's stages, sweep a finished run, rebuild a report, list stages."""
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
    sweep = sub.add_parser("sweep", help="privacy–utility sweep of a finished run: re-run walk and the stages after "
                                         "it over λ_priv × walk.optim_steps; sweep.csv, sweep.png, sweep.md")
    sweep.add_argument("run_dir", help="the finished run, e.g. runs/demo (its folders are only read), or a replicate "
                                       "set, runs/<name>-replicates: every replicate swept, each cell across them")
    sweep.add_argument("overrides", nargs="*", help="dot-list overrides for every cell, e.g. trainer.accelerator=gpu "
                                                     "(none may change a stage before walk)")
    sweep.add_argument("--lambda-priv", default=None, metavar="LIST", help="comma-separated λ_priv values, run in this order "
                                                                           "(default 0,0.03,0.1,0.3,1,3)")
    sweep.add_argument("--optim-steps", default=None, metavar="LIST", help="comma-separated walk.optim_steps "
                                                                           "values (default 100,300)")
    sweep.add_argument("--out", help="the sweep folder, one run folder per cell (default: <run_dir>-sweep)")
    sweep.add_argument("--dry-run", action="store_true", help="check the run and the grid, list the cells, run nothing")
    sweep.add_argument("--report-only", action="store_true", help="write sweep.csv/png/md from the cells done so far")
    report = sub.add_parser("report", help="rebuild runs/<name>/report.md from saved results")
    report.add_argument("run_dir")
    report.add_argument("--partial", action="store_true", help="write it even while downstream or privacy_audit "
                                                               "results are missing or outdated (marked partial)")
    export = sub.add_parser("export", help="write a release from a finished run: images, manifest, checksums, "
                                           "RELEASE.md data card, release.json")
    export.add_argument("run_dir")
    export.add_argument("--source", default="plan", choices=("plan", "linear"))
    export.add_argument("--num", type=int, default=1000, help="images to draw; those failing the privacy gate are "
                                                             "left out and counted")
    export.add_argument("--out", required=True, help="a new or empty folder outside every run folder")
    export.add_argument("--seed", type=int, default=0)
    export.add_argument("--allow-failing", action="store_true", help="keep images that fail the gate, marked 'fail'")
    export.add_argument("--overwrite", action="store_true", help="replace a non-empty --out folder")
    verify = sub.add_parser("verify", help="re-check a release's checksums; with --against RUN, recompute its "
                                           "figures and say whether its card still holds")
    verify.add_argument("release_dir")
    verify.add_argument("--against", metavar="RUN_DIR", help="the run folder the release was exported from")
    from .replicate.command import add_parser as add_replicate_parser

    add_replicate_parser(sub)
    sub.add_parser("stages", help="list the stages in order")
    return parser


def _run(args: argparse.Namespace) -> int:
    from omegaconf import OmegaConf
    from rich.console import Console

    from .config.errors import ConfigError
    from .config.load import load_experiment
    from .pipeline.cluster import check_slurm_layout
    from .pipeline.run_log import RunLog
    from .core.atomic import disk_full_error
    from .core.distributed import is_global_zero
    from .pipeline.interrupts import RunInterrupted, exit_code as interrupt_exit_code, interrupted_line
    from .core.process_group import leave_process_group
    from .core.atomic import disk_full_error
    from .core.process_group import leave_process_group
    from .pipeline.runner import Pipeline
    from .stages import load_stages

    console = Console()
    cfg = load_experiment(args.experiment, args.overrides, base=args.base)
    check_slurm_layout(cfg)
    # Lightning's launcher needs the per-node process count to compute ranks of its children.
    os.environ.setdefault("PRIVGAN_DEVICES", str(cfg.trainer.devices))
    pipeline = Pipeline(cfg, load_stages(), console=console)
    pipeline.check_stage_names(args.only, args.start, args.force)
    if args.dry_run:
        console.print(OmegaConf.to_yaml(cfg, resolve=True))
        pipeline.print_plan(pipeline.plan(args.only, args.start, args.force))
        return 0
    with RunLog(pipeline.run_dir) as run_log:
        try:
            pipeline.run(args.only, args.start, args.force)
            leave_process_group()
        except ConfigError:
            raise
        except (RunInterrupted, KeyboardInterrupt) as stop:  # Ctrl-C, SIGTERM: say so, in one line
            line = interrupted_line(stop, "run", pipeline.current_stage)
            run_log.logger.warning(line)
            if is_global_zero():  # a DDP job's other ranks stop with it, silently
                print(line, file=sys.stderr)
            return interrupt_exit_code(stop)
        except Exception as err:
            if isinstance(err, OSError) and disk_full_error(err) is not None:
                raise  # main() says it in one line (RunLog logs the traceback on the way out)
            if os.environ.get("PRIVGAN_DEBUG"):
                raise
            run_log.logger.exception("stage %s failed", pipeline.current_stage)
            print(_error_paragraph(err, pipeline.current_stage), file=sys.stderr)
            print(f"full log, with the traceback: {run_log.path}", file=sys.stderr)
            return 1
    console.print(f"[dim]log, with Lightning's notices and {run_log.lightning_warnings} warnings: {run_log.path}",
                  soft_wrap=True)
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .stages import load_stages
    from .sweep.grid import DEFAULT_LAMBDA_PRIV, DEFAULT_OPTIM_STEPS, expand_grid, parse_lambdas, parse_steps
    from .sweep.run_sweep import CellFailed, prepare_sweep, print_grid, run_sweep, write_report

    console = Console()
    lambdas = parse_lambdas(args.lambda_priv) if args.lambda_priv is not None else DEFAULT_LAMBDA_PRIV
    steps = parse_steps(args.optim_steps) if args.optim_steps is not None else DEFAULT_OPTIM_STEPS
    from .replicate.sweep_replicates import is_replicate_set, sweep_replicate_set

    if is_replicate_set(Path(args.run_dir)):  # runs/<name>-replicates: every replicate, each cell across them
        try:
            path = sweep_replicate_set(Path(args.run_dir), expand_grid(lambdas, steps), args.out, args.overrides,
                                       load_stages(), console, args.dry_run, args.report_only)
        except CellFailed as err:
            print(f"error: sweep cell {err.cell.name} failed; full log, with the traceback: {err.log}; run the same "
                  "command again to resume", file=sys.stderr)
            return 1
        if path is not None:
            console.print(f"sweep across replicates written to {path}")
        return 0
    setup = prepare_sweep(Path(args.run_dir), expand_grid(lambdas, steps), args.out, args.overrides, load_stages())
    print_grid(setup, console)
    if args.dry_run:
        return 0
    try:
        path = write_report(setup, console) if args.report_only else run_sweep(setup, console)
    except CellFailed as err:
        if os.environ.get("PRIVGAN_DEBUG"):
            raise
        cause = err.__cause__ or err
        print(_error_paragraph(cause, err.stage).replace("error: ", f"error: sweep cell {err.cell.name}: ", 1),
              file=sys.stderr)
        print(f"full log, with the traceback: {err.log}; run the same command again to resume", file=sys.stderr)
        return 1
    console.print(f"sweep report written to {path}; `privgan report {args.run_dir}` links it from the run's report")
    return 0


def _replicate(args: argparse.Namespace) -> int:
    from .replicate.command import replicate_command

    return replicate_command(args, _error_paragraph)


def _error_paragraph(err: BaseException, stage: str | None) -> str:
    """One paragraph a person can act on: which stage, what went wrong (the traceback is in the log)."""
    import textwrap

    message = " ".join(str(err).split()) or "(no message)"
    where = f"stage '{stage}' failed" if stage else "the run failed"
    return textwrap.fill(f"error: {where}: {type(err).__name__}: {message}", width=100)


def _unwritable_line(err: OSError) -> str | None:
    """A read-only file system or a refused permission, in one line naming the folder; None for other errors."""
    if err.errno not in (errno.EROFS, errno.EACCES, errno.EPERM) or not err.filename:
        return None
    path = Path(os.fsdecode(err.filename))
    if err.errno == errno.EROFS:
        folder = path if path.is_dir() else path.parent  # a folder that could not be made: its parent
        return (f"error: {folder} is on a read-only file system ({path.name} could not be written); "
                "make it writable, or copy the run folder somewhere writable and run there")
    return f"error: permission denied: {path} ({err.strerror})"


def main(argv: list[str] | None = None) -> int:
    """`privgan`: SIGINT and SIGTERM end any command with one line and exit 130 / 143."""
    from .pipeline.interrupts import RunInterrupted, exit_code, interrupted_line, signals_raise_run_interrupted

    words = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")]
    try:
        with signals_raise_run_interrupted():
            return _main(argv)
    except (RunInterrupted, KeyboardInterrupt) as stop:  # outside a run's stages (a run says more itself)
        print(interrupted_line(stop, words[0] if words else "privgan"), file=sys.stderr)
        return exit_code(stop)


def _main(argv: list[str] | None = None) -> int:
    from .config.errors import ConfigError, RefusedError
    from .core.atomic import DiskFullError, disk_full_error

    parser = _parser()
    # Overrides may come after options (`--only gan seed=1`): argparse leaves those unparsed.
    args, extra = parser.parse_known_args(argv)
    unknown = [e for e in extra if e.startswith("-") or args.command not in ("run", "sweep", "replicate")]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command in ("run", "sweep", "replicate"):
        args.overrides = [*args.overrides, *extra]
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "replicate":
            return _replicate(args)
        if args.command == "report":
            from .stages.report import build_report
            from .stages.report_check import check_report_inputs
            from .stages.report import build_report

            if not args.partial:
                check_report_inputs(Path(args.run_dir))  # a report that lost figures is refused, not written
            path = build_report(Path(args.run_dir), partial=args.partial)
            print(f"{'partial report' if args.partial else 'report'} written to {path}")
            return 0
        if args.command == "export":
            from rich.console import Console

            from .release.export import export_release

            result = export_release(Path(args.run_dir), Path(args.out), args.source, args.num, args.seed,
                                    args.allow_failing, args.overwrite, console=Console(stderr=True))
            kept = "kept, marked 'fail'" if args.allow_failing else "left out"
            print(f"{result.released} {args.source} images released to {result.folder} "
                  f"({result.failed} of {result.candidates} failed the privacy gate, {kept}); see RELEASE.md")
            return 0
        if args.command == "verify":
            from .release.verify import verify_release

            report = verify_release(Path(args.release_dir), Path(args.against) if args.against else None)
            for name, ok, detail in report.checks:
                print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""))
            holds = "the card holds" if args.against else "intact (give --against RUN_DIR to re-check the card's figures)"
            print(holds if report.ok else "the release does NOT hold: see FAIL above")
            return 0 if report.ok else 1
        if args.command == "stages":
            from .stages import load_stages

            for stage in load_stages():
                needs = ", ".join(stage.needs) or "-"
                print(f"{stage.name:<11} needs {needs:<40} {stage.description}")
            return 0
    except ConfigError as err:
        print(str(err), file=sys.stderr)
        return 2
    except RefusedError as err:
        # Refused as asked, nothing changed (a stale run to export, a report poorer than the one it replaces).
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as err:
        # Bad input named by the code that found it: one line, not a traceback wall.
        if os.environ.get("PRIVGAN_DEBUG"):
            raise
        print(f"error: {err} (PRIVGAN_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1
    except OSError as err:
        if _unwritable_line(err) is not None and not os.environ.get("PRIVGAN_DEBUG"):
            print(_unwritable_line(err), file=sys.stderr)  # a read-only run folder: one line that names it
            return 1
        # A full disk is the user's to fix, not a bug: one line that says so (atomic writes
        # left every finished artifact intact, so the same command resumes).
        if disk_full_error(err) is None or os.environ.get("PRIVGAN_DEBUG"):
            raise
        detail = err.strerror if isinstance(err, DiskFullError) else f"no space left on the device ({err})"
        print(f"error: {detail}", file=sys.stderr)
        return 1
    return 1


if __name__ == "__main__":
    sys.exit(main())
