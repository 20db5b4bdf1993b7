#!/usr/bin/env bash
# The GPU check, sized for a short GPU slot (under 8 minutes; every part has its own time limit and is skipped when
# what it needs is absent): the device tests, training steps against torch CUDA, one MNIST epoch on each side when
# the MNIST files are there, then the figures as Markdown for docs/performance.md.
#
#   benchmarks/gpu_check.sh [--data DIR] [--logs DIR] [--dry-run]
#
# --data DIR   holds MNIST/raw/ with the four uncompressed IDX files (default: $PTJAX_DATA, else data)
# --logs DIR   where each part's output goes (default: gpu_check_logs)
# --dry-run    on a machine without a GPU: the same parts, on the CPU, tiny (checks the script itself)
# Needs: the project's Python environment (jax with CUDA, optax, pytest; torch and torchvision for the comparisons).
set -u
cd "$(dirname "$0")/.."
DATA=${PTJAX_DATA:-data}
LOGS=gpu_check_logs
DRY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA=$2; shift 2 ;;
    --logs) LOGS=$2; shift 2 ;;
    --dry-run) DRY="--dry-run"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$LOGS"
BUDGET=${GPU_CHECK_BUDGET_S:-470}   # all parts together, seconds
START=$SECONDS

# run LABEL LIMIT LOG CMD...: CMD under a time limit (cut to what the budget has left), output into LOG
run() {
  local label=$1 limit=$2 log=$3; shift 3
  local left=$((BUDGET - (SECONDS - START)))
  [ "$limit" -gt "$left" ] && limit=$left
  if [ "$limit" -lt 20 ]; then echo "== $label: skipped (time budget spent)" | tee "$LOGS/$log"; return; fi
  echo "== $label (limit ${limit}s)"
  timeout --kill-after=10 "$limit" "$@" > "$LOGS/$log" 2>&1
  local rc=$?
  [ $rc -eq 124 ] && echo "(stopped at the ${limit}s limit)" >> "$LOGS/$log"
  tail -n 3 "$LOGS/$log"
}

"$PY" - > "$LOGS/env.log" 2>&1 <<'PYEOF'
import jax, ptjax
try:
    import torch
    t = f"torch {torch.__version__}" + (f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", no CUDA")
except ImportError:
    t = "torch absent"
gpu = ptjax.cuda.get_device_name() if ptjax.cuda.is_available() else "no GPU for JAX"
print(f"jax {jax.__version__} ({jax.default_backend()}: {gpu}) | {t}")
PYEOF
cat "$LOGS/env.log"

if [ -n "$DRY" ]; then
  run "device tests" 150 tests.log "$PY" -m pytest -o addopts=-q -p no:warnings tests/test_devices.py tests/test_devices_gpu.py \
    -k "not stand_in"
else
  run "device tests" 150 tests.log "$PY" -m pytest -o addopts=-q -p no:warnings tests/test_devices_gpu.py tests/test_devices.py \
    tests/test_tensor_core.py -k "not stand_in"
fi

run "training steps" 170 steps.log "$PY" benchmarks/gpu/steps.py mlp cnn lm $DRY

if [ -f "$DATA/MNIST/raw/train-images-idx3-ubyte" ] && [ -f "$DATA/MNIST/raw/t10k-labels-idx1-ubyte" ]; then
  MNIST_FLAGS="--epochs 1 --data $DATA"
  [ -n "$DRY" ] && MNIST_FLAGS="$MNIST_FLAGS --dry-run --no-accel"
  run "MNIST epoch, ptjax" 110 mnist_ptjax.log "$PY" examples/mnist.py $MNIST_FLAGS
  if "$PY" -c "import torchvision" 2>/dev/null; then
    run "MNIST epoch, torch + torchvision" 60 mnist_torch.log "$PY" benchmarks/gpu/mnist_torch.py --data "$DATA" $DRY
  else
    echo "== MNIST epoch, torch: skipped (no torchvision)" | tee "$LOGS/mnist_torch.log"
  fi
else
  echo "== MNIST epochs: skipped (no $DATA/MNIST/raw/*-ubyte files)" | tee "$LOGS/mnist_ptjax.log" "$LOGS/mnist_torch.log"
fi

echo
"$PY" benchmarks/gpu/report.py "$LOGS" | tee "$LOGS/figures.md"
echo "(total $((SECONDS - START)) s; logs in $LOGS/)"
