#!/usr/bin/env bash
# `make gpu-check`: the GPU check kit (benchmarks/gpu_check.py) on a bare GPU machine whose image has
# torch, pytorch_lightning, torchmetrics and torchvision but not omegaconf/albumentations. Those come
# as wheels in .whl/ (carried along with the checkout; ../shared/tools/device_wheels.sh downloads them)
# and are installed into /tmp, never into the image's site-packages. Arguments go to gpu_check.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c "import omegaconf, albumentations" 2>/dev/null; then
  if ! ls .whl/*.whl >/dev/null 2>&1; then
    echo "gpu-check: omegaconf/albumentations are not installed and .whl/ holds no wheels;" \
         "download them on a machine with a package index (../shared/tools/device_wheels.sh) and carry .whl/" >&2
    exit 2
  fi
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/privgan_site .whl/*.whl
  export PYTHONPATH=/tmp/privgan_site${PYTHONPATH:+:$PYTHONPATH}
fi
export NO_ALBUMENTATIONS_UPDATE=1 WANDB_MODE=offline PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
exec "$PY" benchmarks/gpu_check.py "$@"
