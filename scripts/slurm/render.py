"""Render the sbatch template for an experiment: python scripts/slurm/render.py --experiment X --nodes N --gpus G.

With --replicates N it renders an array job instead, one whole-pipeline replicate a task
(`privgan replicate X --replicates N --index $SLURM_ARRAY_TASK_ID`); the report across
replicates is written afterwards by `privgan replicate X --replicates N --report-only`."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).with_name("train.sbatch.template")


def render(experiment: str, nodes: int, gpus: int, partition: str = "gpu", time: str = "24:00:00",
           overrides: str = "", cpus_per_task: int = 8, workdir: str | None = None,
           privgan: str = ".venv/bin/privgan", wandb_mode: str = "offline", replicates: int | None = None) -> str:
    if nodes < 1 or gpus < 1:
        raise ValueError("nodes and gpus must be at least 1")
    if replicates is not None and replicates < 1:
        raise ValueError("replicates must be at least 1")
    if not Path(experiment).is_file():
        raise FileNotFoundError(f"experiment file {experiment} does not exist")
    return Template(TEMPLATE.read_text()).substitute(
        name=Path(experiment).stem + ("-replicates" if replicates else ""),
        # An array task's log names the job and its index (%A_%a); one job's, its id.
        output="runs/slurm-%x-%A_%a.out" if replicates else "runs/slurm-%x-%j.out",
        array_line=f"#SBATCH --array=0-{replicates - 1}\n" if replicates else "",
        command=f"replicate --replicates {replicates} --index $SLURM_ARRAY_TASK_ID" if replicates else "run",
        nodes=nodes,
        gpus=gpus,
        cpus_per_task=cpus_per_task,
        partition=partition,
        time=time,
        workdir=shlex.quote(workdir or str(Path.cwd())),
        wandb_mode=wandb_mode,
        privgan=privgan,
        experiment=shlex.quote(experiment),
        overrides=" ".join(shlex.quote(o) for o in shlex.split(overrides)),
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--experiment", required=True)
    p.add_argument("--nodes", type=int, default=1)
    p.add_argument("--gpus", type=int, default=1, help="GPUs (= tasks) per node")
    p.add_argument("--partition", default="gpu")
    p.add_argument("--time", default="24:00:00")
    p.add_argument("--overrides", default="")
    p.add_argument("--cpus-per-task", type=int, default=8)
    p.add_argument("--replicates", type=int, default=None, metavar="N",
                   help="an array job of N whole-pipeline replicates, one a task (privgan replicate --index)")
    a = p.parse_args()
    sys.stdout.write(render(a.experiment, a.nodes, a.gpus, a.partition, a.time, a.overrides, a.cpus_per_task,
                            replicates=a.replicates))
    return 0


if __name__ == "__main__":
    sys.exit(main())
