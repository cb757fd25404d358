#!/usr/bin/env bash
# One call on a GPU machine: build if needed, run the cuda tests, run the GPU benchmark.
#
#   bash bench/gpu_check.sh [--quick]
#
# Assumes CuPy and PyTorch are preinstalled and nothing can be downloaded
# (the build uses --no-build-isolation --no-deps).  Fits in 10 minutes on an
# H200: the test step is capped at 4 minutes and the benchmark at 5.
# Results: the test summary and the benchmark table on stdout; the JSON goes to
# $OUT/gpu.json when $OUT is set, else bench/results/gpu.json.
set -u
cd "$(dirname "$0")/.."
QUICK=""
if [ "${1:-}" = "--quick" ]; then QUICK="--quick"; fi
PY="${PYTHON:-python}"
JSON="${OUT:-bench/results}/gpu.json"
status=0

echo "== environment"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
"$PY" - <<'EOF'
import importlib, sys
print("python", sys.version.split()[0])
for name in ("numpy", "cupy", "torch", "Cython", "pytest"):
    try:
        module = importlib.import_module(name)
        print(f"{name} {getattr(module, '__version__', '?')}")
    except Exception as exc:
        print(f"{name}: not importable ({type(exc).__name__}: {exc})")
EOF

echo "== build (only if autograd._C does not import)"
if "$PY" -c "import autograd._C" >/dev/null 2>&1; then
    echo "compiled core already built"
else
    timeout 240 "$PY" setup.py build_ext --inplace -q >/tmp/ag_build.log 2>&1 \
        || timeout 240 "$PY" -m pip install --no-build-isolation --no-deps -q -e . >>/tmp/ag_build.log 2>&1 \
        || { echo "BUILD FAILED:"; tail -30 /tmp/ag_build.log; status=1; }
    "$PY" -c "import autograd._C" && echo "compiled core built"
fi

echo "== ag.cuda"
"$PY" -c "
import autograd.cuda as c
print('is_available:', c.is_available(), '| device_count:', c.device_count(), '|', c.unavailable_reason() or 'ok')
"

echo "== tests/test_cuda.py"
timeout 240 "$PY" -m pytest tests/test_cuda.py -q -p no:cacheprovider -rs -x 2>&1 | tail -40
test_status=${PIPESTATUS[0]}
if [ "$test_status" -ne 0 ]; then echo "CUDA TESTS FAILED (exit $test_status)"; status=1; fi

echo "== bench/gpu.py $QUICK"
mkdir -p "$(dirname "$JSON")"
timeout 300 "$PY" bench/gpu.py $QUICK --json "$JSON"
bench_status=$?
if [ "$bench_status" -ne 0 ]; then echo "BENCHMARK FAILED (exit $bench_status)"; status=1; fi

echo "== done (exit $status)"
exit $status
