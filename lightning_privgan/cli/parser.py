"""The `privgan` command line: every command's arguments, and nothing of the library imported."""
from __future__ import annotations

import argparse

# Commands whose trailing words are dot-list overrides, which may also follow the options.
TAKES_OVERRIDES = ("run", "sweep", "replicate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="privgan", description="run an experiment's stages, sweep a finished "
                                     "run, replicate it, rebuild a report, export and verify a release")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    _add_sweep(sub)
    _add_replicate(sub)
    report = sub.add_parser("report", help="rebuild runs/<name>/report.md from saved results")
    report.add_argument("run_dir")
    report.add_argument("--partial", action="store_true", help="write it even while downstream or privacy_audit "
                                                               "results are missing or outdated (marked partial)")
    _add_export(sub)
    verify = sub.add_parser("verify", help="re-check a release's checksums; with --against RUN, recompute its "
                                           "figures and say whether its card still holds")
    verify.add_argument("release_dir")
    verify.add_argument("--against", metavar="RUN_DIR", help="the run folder the release was exported from")
    sub.add_parser("stages", help="list the stages in order")
    return parser


def _add_run(sub) -> None:
    run = sub.add_parser("run", help="run an experiment: privgan run experiments/X.yaml key.sub=value ...")
    run.add_argument("experiment", help="experiment YAML (experiments/base.yaml is merged under it)")
    run.add_argument("overrides", nargs="*", help="dot-list overrides, e.g. gan.kimg=10 trainer.devices=2")
    run.add_argument("--dry-run", action="store_true", help="print the resolved config and the stage plan, then exit")
    run.add_argument("--only", action="append", default=[], metavar="STAGE", help="run only these stages")
    run.add_argument("--from", dest="start", metavar="STAGE", help="run this stage and all after it")
    run.add_argument("--force", action="append", default=[], metavar="STAGE", help="re-run even if cached")
    run.add_argument("--base", help="base YAML (default: base.yaml beside the experiment)")


def _add_sweep(sub) -> None:
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


def _add_replicate(sub) -> None:
    p = sub.add_parser("replicate", help="N whole-pipeline replicates of an experiment (own seeds for every stage "
                                         "but the shared data stage) and the report across them: "
                                         "runs/<name>-replicates/report.md")
    p.add_argument("experiment", help="experiment YAML, as for privgan run")
    p.add_argument("overrides", nargs="*", help="dot-list overrides for every replicate (seed= is the base seed)")
    p.add_argument("--replicates", type=int, default=None, metavar="N",
                   help="how many replicates (default: replicate.count of the experiment)")
    p.add_argument("--index", type=int, default=None, metavar="I",
                   help="run only replicate I (a SLURM array task: --index $SLURM_ARRAY_TASK_ID); no report")
    p.add_argument("--out", help="the replicate set's folder (default: <runs_root>/<name>-replicates)")
    p.add_argument("--base", help="base YAML (default: base.yaml beside the experiment)")
    p.add_argument("--dry-run", action="store_true", help="list the replicates with their seeds and status, run nothing")
    p.add_argument("--report-only", action="store_true", help="write the report from the replicates done so far")


def _add_export(sub) -> None:
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
