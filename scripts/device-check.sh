#!/usr/bin/env bash
# The GPU and many-core check of issue 17, as one run on a machine with an NVIDIA GPU (CuPy
# and PyTorch CUDA already installed: it installs nothing and reaches no network). About
# 8 minutes on an H100 host with 16 cores; every step has its own time limit, so one that
# hangs does not eat the others' time. Output: the tables on stdout, and in $OUT/ when set.
#
#   PYTHON=.venv/bin/python scripts/device-check.sh [DATA_DIR]
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
DATA=${1:-/usr/share/datasets/fashion-mnist}
LOG=${OUT:-/tmp}/device-check.md
export PYTHONPATH=src${PYTHONPATH:+:$PYTHONPATH}
{
  echo "## pytest: the CUDA tests (skipped with a reason where CUDA is missing)"
  timeout 120 "$PY" -m pytest -q -p no:cacheprovider -rs tests/engine/test_array.py \
      tests/test_cuda.py tests/engine/test_devices.py tests/app/test_devices.py 2>&1 | tail -15
  timeout 90 "$PY" benchmarks/gpu_check.py --part parity
  timeout 300 "$PY" benchmarks/gpu_check.py --part gpu --data "$DATA" --rounds 3
  timeout 240 "$PY" benchmarks/gpu_check.py --part cpu --data "$DATA" --batches 50 --rounds 1
} 2>&1 | tee "$LOG"
