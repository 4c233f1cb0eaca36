# lightning_privgan: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EXP ?= experiments/demo.yaml
OVERRIDES ?=
RUN ?= runs/demo
NODES ?= 1
GPUS ?= 1
PARTITION ?= gpu
TIME ?= 24:00:00

export WANDB_MODE ?= offline
export NO_ALBUMENTATIONS_UPDATE := 1
export HF_HUB_OFFLINE := 1

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

# uv where pip can install it (4x faster from a fresh clone), with pip's indexes and constraints;
# pip otherwise, or always with INSTALLER=pip (scripts/install_venv.py).
INSTALLER ?= uv
$(VENV)/.installed: pyproject.toml scripts/install_venv.py
	$(PYTHON) scripts/install_venv.py $(VENV) --installer $(INSTALLER)
	@touch $@

install: $(VENV)/.installed ## create .venv and install the package (editable, with dev extra); INSTALLER=pip to skip uv

# One pytest worker per core (each test runs torch on one thread); a file's tests stay on one
# worker, so its module-scoped fixtures are built once. Files are handed out in collection order,
# where tests/conftest.py puts the heavy ones first (xdist would otherwise order them by test count).
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
test: install ## run the fast test suite
	$(PY) -m pytest -m "not slow" -q $(XDIST)

test-all: install ## run every test, slow ones included
	$(PY) -m pytest -q $(XDIST)

demo: install ## run the demo experiment end to end on embedded phantoms and print the table
	$(VENV)/bin/privgan run experiments/demo.yaml $(OVERRIDES)
	@cat runs/demo/report.md

memorisation: install ## a GAN that memorises its few training patients: the release-level attacks should see it; runs/memorisation/report.md
	$(VENV)/bin/privgan run experiments/memorisation.yaml $(OVERRIDES)
	@cat runs/memorisation/report.md

exp: install ## run an experiment: make exp EXP=experiments/X.yaml OVERRIDES="key=value ..."
	$(VENV)/bin/privgan run $(EXP) $(OVERRIDES)

dry-run: install ## show the resolved config and stage plan of EXP
	$(VENV)/bin/privgan run $(EXP) $(OVERRIDES) --dry-run

SWEEP_ARGS ?=
sweep-demo: install ## privacy–utility sweep of the finished demo run (λ_priv × optim_steps): runs/demo-sweep/sweep.md
	@test -f runs/demo/report/stage.json || { echo "runs/demo has not finished: run make demo first"; exit 1; }
	$(VENV)/bin/privgan sweep runs/demo trainer.progress_bar=false $(SWEEP_ARGS)
	@cat runs/demo-sweep/sweep.md

N ?= 5
replicate: install ## N whole-pipeline replicates of EXP and the report across them: make replicate EXP=... N=5 OVERRIDES="..."
	$(VENV)/bin/privgan replicate $(EXP) --replicates $(N) $(OVERRIDES)

replicate-slurm: install ## submit N replicates of EXP as a SLURM array, one a task: make replicate-slurm EXP=... N=5 GPUS=1
	@mkdir -p runs
	$(PY) scripts/slurm/render.py --experiment $(EXP) --nodes $(NODES) --gpus $(GPUS) --replicates $(N) \
	  --partition $(PARTITION) --time $(TIME) --overrides "$(OVERRIDES)" > runs/.slurm_replicates.sbatch
	@command -v sbatch >/dev/null || { echo "sbatch not found (no SLURM here); the job script is runs/.slurm_replicates.sbatch"; exit 1; }
	sbatch runs/.slurm_replicates.sbatch
	@echo "when every task has finished: make replicate EXP=$(EXP) N=$(N) OVERRIDES='$(OVERRIDES) --report-only'"

report: install ## rebuild the report of a run: make report RUN=runs/<name>
	$(VENV)/bin/privgan report $(RUN)

slurm: install ## submit EXP to SLURM: make slurm EXP=... NODES=2 GPUS=4 [PARTITION=gpu TIME=24:00:00]
	@mkdir -p runs
	$(PY) scripts/slurm/render.py --experiment $(EXP) --nodes $(NODES) --gpus $(GPUS) \
	  --partition $(PARTITION) --time $(TIME) --overrides "$(OVERRIDES)" > runs/.slurm_job.sbatch
	@command -v sbatch >/dev/null || { echo "sbatch not found (no SLURM here); the job script is runs/.slurm_job.sbatch"; exit 1; }
	sbatch runs/.slurm_job.sbatch

wandb-sync: install ## upload offline W&B runs of every run folder
	@test -d runs || { echo "no runs/ folder yet: nothing to sync"; exit 0; }
	@find runs -type d -name 'offline-run-*' -print0 | xargs -0 -r -n1 $(VENV)/bin/wandb sync

base-yaml: install ## regenerate experiments/base.yaml from the typed schema
	$(PY) -m lightning_privgan.config.defaults_yaml > experiments/base.yaml

bench: install ## run the speed/memory benchmarks (prints figures)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

gpu-check: ## on a GPU machine (system python3, wheels from .whl/): demo with ADA under 32-true and 16-mixed, GAN and walker speed, tb walk; one table
	PYTHON=$(PYTHON) scripts/gpu_check.sh $(GPU_CHECK_ARGS)

clean: ## remove run folders and caches (keeps .venv)
	rm -rf runs lightning_logs .pytest_cache

.PHONY: help install test test-all demo memorisation exp dry-run sweep-demo replicate replicate-slurm report slurm wandb-sync base-yaml bench gpu-check clean
