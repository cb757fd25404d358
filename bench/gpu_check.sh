#!/usr/bin/env bash
# One call on a GPU machine: build if needed, run the cuda tests, run the GPU benchmark.
#
#   bash bench/gpu_check.sh [--quick]
#
# Assumes CuPy and PyTorch are preinstalled and nothing can be downloaded (the
# build uses --no-build-isolation --no-deps).  Made for a 10-minute slot: each
# step has its own time limit (build 150 s, tests 240 s, benchmark 180 s; a
# typical H200 run takes 3-5 minutes, most of it CuPy compiling kernels on
# first use).  Everything printed is also appended to $OUT/gpu_check.log when
# $OUT is set, so a run cut short still leaves its output; the benchmark's JSON
# goes to $OUT/gpu.json (else bench/results/gpu.json).
set -u
cd "$(dirname "$0")/.."
QUICK=""
if [ "${1:-}" = "--quick" ]; then QUICK="--quick"; fi
PY="${PYTHON:-python}"
RESULTS="${OUT:-bench/results}"
mkdir -p "$RESULTS"
LOG="$RESULTS/gpu_check.log"
: > "$LOG"
status=0

say() { echo "$@" | tee -a "$LOG"; }
run_logged() { "$@" 2>&1 | tee -a "$LOG"; return "${PIPESTATUS[0]}"; }

say "== environment ($(date -u +%H:%M:%S) UTC)"
run_logged nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader \
    || say "nvidia-smi: not available"
run_logged "$PY" - <<'EOF'
import importlib, sys
print("python", sys.version.split()[0])
for name in ("numpy", "scipy", "cupy", "torch", "Cython", "pytest"):
    try:
        module = importlib.import_module(name)
        print(f"{name} {getattr(module, '__version__', '?')}")
    except Exception as exc:
        print(f"{name}: not importable ({type(exc).__name__}: {exc})")
EOF

say "== build (only if autograd._C does not import)"
if "$PY" -c "import autograd._C" >/dev/null 2>&1; then
    say "compiled core already built"
else
    timeout 150 "$PY" setup.py build_ext --inplace -q >/tmp/ag_build.log 2>&1 \
        || timeout 150 "$PY" -m pip install --no-build-isolation --no-deps -q -e . \
            >>/tmp/ag_build.log 2>&1 \
        || { say "BUILD FAILED:"; tail -30 /tmp/ag_build.log | tee -a "$LOG"; status=1; }
    run_logged "$PY" -c "import autograd._C; print('compiled core built')"
fi

say "== ag.cuda"
run_logged "$PY" -c "
import autograd.cuda as c
print('is_available:', c.is_available(), '| device_count:', c.device_count(), '|',
      c.unavailable_reason() or 'ok')
"

say "== tests/test_cuda.py ($(date -u +%H:%M:%S) UTC)"
run_logged timeout 240 "$PY" -m pytest tests/test_cuda.py -q -p no:cacheprovider -rs \
    --maxfail=25 --durations=5
test_status=$?
if [ "$test_status" -ne 0 ]; then say "CUDA TESTS FAILED (exit $test_status)"; status=1; fi

say "== bench/gpu.py $QUICK ($(date -u +%H:%M:%S) UTC)"
run_logged timeout 180 "$PY" bench/gpu.py $QUICK --json "$RESULTS/gpu.json"
bench_status=$?
if [ "$bench_status" -ne 0 ]; then say "BENCHMARK FAILED (exit $bench_status)"; status=1; fi

say "== done ($(date -u +%H:%M:%S) UTC, exit $status)"
exit $status
