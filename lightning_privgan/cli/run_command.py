"""`privgan run` (an experiment's stages, or its plan with --dry-run) and `privgan stages`."""
from __future__ import annotations

import argparse
import os
import sys

from omegaconf import OmegaConf
from rich.console import Console

from ..config.errors import ConfigError
from ..config.load import load_experiment
from ..core.disk_full import disk_full_error
from ..core.distributed import is_global_zero
from ..pipeline.cluster import check_slurm_layout
from ..pipeline.interrupts import RunInterrupted, exit_code as interrupt_exit_code, interrupted_line
from .messages import error_paragraph


def run(args: argparse.Namespace) -> int:
    console = Console()
    cfg = load_experiment(args.experiment, args.overrides, base=args.base)
    check_slurm_layout(cfg)
    # Lightning and the stages (3 s of imports) only once the experiment is known to be valid: a
    # typo in an override is answered at once.
    from ..core.process_group import leave_process_group
    from ..pipeline.run_log import RunLog
    from ..pipeline.runner import Pipeline
    from ..stages import load_stages

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
            print(error_paragraph(err, pipeline.current_stage), file=sys.stderr)
            print(f"full log, with the traceback: {run_log.path}", file=sys.stderr)
            return 1
    console.print(f"[dim]log, with Lightning's notices and {run_log.lightning_warnings} warnings: {run_log.path}",
                  soft_wrap=True)
    return 0


def list_stages(args: argparse.Namespace) -> int:
    from ..stages import load_stages

    for stage in load_stages():
        needs = ", ".join(stage.needs) or "-"
        print(f"{stage.name:<11} needs {needs:<40} {stage.description}")
    return 0
