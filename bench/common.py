"""Shared helpers of the benchmark suites: timing, thread control, environment, tables, JSON.

Every measurement is a *figure*: a plain dict that says what was timed and
how long it took, so that suites, the JSON file, the plot and ``--compare``
all speak the same language::

    {"suite": "mlp", "name": "train 784-128-10 adam", "engine": "torch",
     "threads": 1, "params": {"batch": 64, "samples": 60000},
     "unit": "s", "min": 1.41, "median": 1.48, "max": 1.55,
     "repeats": 3, "number": 1, "times": [...],
     "derived": {"samples_per_s": 40540.5}}

``min``/``median``/``max`` are seconds per call of the timed function
(``number`` calls per repeat, ``repeats`` repeats after a warm-up).  Derived
quantities (GFLOP/s, samples/s, ...) are computed from the median.

Example::

    >>> fig = measure(lambda: sum(range(1000)), repeats=5)
    >>> fig["median"] > 0
    True
"""

import contextlib
import gc
import json
import math
import os
import platform
import statistics
import sys
import time

# ----------------------------------------------------------------------
# timing
# ----------------------------------------------------------------------


def measure(fn, repeats=5, warmup=1, min_repeat_time=0.0, number=None, setup=None):
    """Time ``fn()``: ``warmup`` untimed calls, then ``repeats`` timed repeats.

    Each repeat calls ``fn`` ``number`` times and records the mean time per
    call.  With ``number=None`` it is chosen so that one repeat lasts at least
    ``min_repeat_time`` seconds (tiny functions would otherwise be dominated
    by the clock's resolution).  ``setup()``, when given, runs before every
    repeat, untimed (for example to reset state).

    Returns a dict with ``min``, ``median``, ``max`` (seconds per call),
    ``repeats``, ``number`` and the list ``times``.

    Example::

        >>> r = measure(lambda: None, repeats=3, min_repeat_time=0.001)
        >>> r["repeats"], r["number"] >= 1
        (3, True)
    """
    if repeats < 1:
        raise ValueError(f"measure: repeats must be >= 1, got {repeats}")
    for _ in range(max(warmup, 0)):
        fn()
    if number is None:
        number = 1
        if min_repeat_time > 0:
            # grow the inner loop until one repeat is long enough to time reliably
            while True:
                if setup is not None:
                    setup()
                t0 = time.perf_counter()
                for _ in range(number):
                    fn()
                elapsed = time.perf_counter() - t0
                if elapsed >= min_repeat_time or number >= 1 << 20:
                    break
                grow = min_repeat_time / max(elapsed, 1e-9)
                number = max(number * 2, int(number * grow * 1.2) + 1)
    times = []
    for _ in range(repeats):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return {
        "min": min(times),
        "median": statistics.median(times),
        "max": max(times),
        "repeats": repeats,
        "number": number,
        "times": times,
    }


def measure_interleaved(fns, repeats=5, warmup=1, min_repeat_time=0.0, contexts=None):
    """Time several functions with their repeats interleaved (A B C, B C A, C A B, ...).

    On a shared machine the load changes from second to second; interleaving
    makes every function see the same conditions, so ratios between them stay
    fair where back-to-back :func:`measure` calls can differ by 1.5x.  Each
    function gets its own inner-loop ``number`` (as :func:`measure` picks it).
    ``contexts``: optional context-manager factories, one per function,
    entered around each of its repeats (e.g. an engine's ``no_grad``).
    Returns one :func:`measure`-style dict per function, in order.

    Example::

        >>> a, b = measure_interleaved([lambda: None, lambda: sum(range(9))], repeats=3)
        >>> a["repeats"], len(b["times"])
        (3, 3)
    """
    if repeats < 1:
        raise ValueError(f"measure_interleaved: repeats must be >= 1, got {repeats}")
    contexts = list(contexts) if contexts is not None else [contextlib.nullcontext] * len(fns)
    numbers = []
    for fn, ctx in zip(fns, contexts):
        with ctx():
            numbers.append(measure(fn, repeats=1, warmup=warmup, min_repeat_time=min_repeat_time)["number"])
    times = [[] for _ in fns]
    count = len(fns)
    for r in range(repeats):
        for j in range(count):
            i = (j + r) % count          # rotate who goes first
            fn, number = fns[i], numbers[i]
            with contexts[i]():
                t0 = time.perf_counter()
                for _ in range(number):
                    fn()
                times[i].append((time.perf_counter() - t0) / number)
    return [{"min": min(t), "median": statistics.median(t), "max": max(t), "repeats": repeats,
             "number": number, "times": t} for t, number in zip(times, numbers)]


def figure(suite, name, engine, threads, timing, params=None, derived=None, unit="s", note=None):
    """Build a figure dict (see the module docstring) from a :func:`measure` result."""
    fig = {
        "suite": suite,
        "name": name,
        "engine": engine,
        "threads": threads,
        "params": dict(params or {}),
        "unit": unit,
    }
    fig.update(timing)
    fig["derived"] = dict(derived or {})
    if note:
        fig["note"] = note
    return fig


def figure_key(fig):
    """A hashable identity of a figure across runs: suite, name, params, engine, threads."""
    params = tuple(sorted((k, str(v)) for k, v in (fig.get("params") or {}).items()))
    return (fig.get("suite"), fig.get("name"), params, fig.get("engine"), fig.get("threads"))


# ----------------------------------------------------------------------
# threads
# ----------------------------------------------------------------------

#: environment variables read by BLAS and OpenMP runtimes when they load
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                   "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def thread_env(threads, base=None):
    """A copy of ``base`` (default ``os.environ``) with every thread variable set to ``threads``."""
    env = dict(os.environ if base is None else base)
    for var in THREAD_ENV_VARS:
        env[var] = str(threads)
    return env


class ThreadLimits:
    """Set every engine's thread count to ``n`` for the duration of a ``with`` block.

    * NumPy/SciPy BLAS and OpenMP pools: ``threadpoolctl`` when it is
      installed; otherwise the caller is expected to have started the process
      with :func:`thread_env` (the runner re-executes each thread count in a
      subprocess, so this works without threadpoolctl).
    * our kernels: ``autograd.set_num_threads`` when the compiled core has it;
    * PyTorch: ``torch.set_num_threads`` when torch is importable.

    ``applied`` lists what was actually set, for the report.
    """

    def __init__(self, n):
        self.n = int(n)
        self.applied = []
        self._restore = []

    def __enter__(self):
        n = self.n
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            env_ok = all(os.environ.get(v) == str(n) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"))
            self.applied.append("blas: environment variables" if env_ok
                                else "blas: NOT limited (no threadpoolctl, env not set)")
        else:
            limiter = threadpool_limits(limits=n)
            self._restore.append(limiter.restore_original_limits)
            self.applied.append("blas+openmp: threadpoolctl")
        ag = optional_import("autograd")
        if ag is not None and hasattr(ag, "set_num_threads"):
            old = ag.get_num_threads() if hasattr(ag, "get_num_threads") else None
            ag.set_num_threads(n)
            if old is not None:
                self._restore.append(lambda: ag.set_num_threads(old))
            self.applied.append("autograd.set_num_threads")
        torch = optional_import("torch")
        if torch is not None:
            old_t = torch.get_num_threads()
            torch.set_num_threads(n)
            self._restore.append(lambda: torch.set_num_threads(old_t))
            self.applied.append("torch.set_num_threads")
        return self

    def __exit__(self, *exc):
        for undo in reversed(self._restore):
            try:
                undo()
            except Exception:  # restoring is best effort; never mask the real error
                pass
        self._restore.clear()
        return False


# ----------------------------------------------------------------------
# optional modules and the environment
# ----------------------------------------------------------------------

_IMPORT_CACHE = {}


def optional_import(name):
    """``import name`` or ``None`` when it is missing or fails to import (cached)."""
    if name not in _IMPORT_CACHE:
        try:
            module = __import__(name)
            for part in name.split(".")[1:]:
                module = getattr(module, part)
            _IMPORT_CACHE[name] = module
        except Exception as exc:  # a broken install must not stop the benchmark
            _IMPORT_CACHE[name] = None
            _IMPORT_CACHE[name + ":error"] = f"{type(exc).__name__}: {exc}"
    return _IMPORT_CACHE[name]


def import_error(name):
    """Why :func:`optional_import` returned None for ``name`` (or None)."""
    return _IMPORT_CACHE.get(name + ":error")


def cuda_available():
    """True when CuPy imports and sees at least one GPU."""
    cupy = optional_import("cupy")
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def _cpuinfo():
    info = {"model": platform.processor() or platform.machine(), "mhz": None, "flags": set()}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    info["model"] = value.strip()
                elif key == "cpu MHz" and info["mhz"] is None:
                    info["mhz"] = float(value)
                elif key == "flags" and not info["flags"]:
                    info["flags"] = set(value.split())
    except OSError:
        pass
    return info


_CLOCK_PROBE_C = r"""
#include <stdio.h>
#include <time.h>
/* Ten dependent 1-cycle adds per iteration: iterations * 10 / seconds = the core's clock. */
int main(void) {
    struct timespec t0, t1;
    unsigned long x = 0;
    const long n = 20000000;
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < n; i++) {
            __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
        if (s < best) best = s;
    }
    printf("%.4f\n", 10.0 * n / best / 1e9);
    return x == 0;
}
"""

_CLOCK_CACHE = {}


def measured_clock_ghz():
    """The running clock of one core in GHz, measured with a tiny C probe (None if impossible).

    /proc/cpuinfo in a VM shows the nominal base clock, while the cores run
    at their boost clock; the peak must use the clock the code runs at.  The
    probe (x86-64 only, needs ``cc``) times a chain of dependent integer adds,
    one cycle each.  Takes about half a second; the result is cached.
    """
    if "ghz" in _CLOCK_CACHE:
        return _CLOCK_CACHE["ghz"]
    ghz = None
    if platform.machine() in ("x86_64", "AMD64"):
        import shutil
        import subprocess
        import tempfile

        compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if compiler:
            with tempfile.TemporaryDirectory(prefix="bench-clock-") as tmp:
                src, exe = os.path.join(tmp, "clock.c"), os.path.join(tmp, "clock")
                with open(src, "w") as fh:
                    fh.write(_CLOCK_PROBE_C)
                try:
                    subprocess.run([compiler, "-O1", "-o", exe, src], check=True, capture_output=True, timeout=60)
                    out = subprocess.run([exe], capture_output=True, text=True, timeout=60)
                    value = float(out.stdout.strip())
                    if 0.2 < value < 8.0:
                        ghz = value
                except (OSError, subprocess.SubprocessError, ValueError):
                    ghz = None
    _CLOCK_CACHE["ghz"] = ghz
    return ghz


def fp32_peak_gflops(threads):
    """Estimated fp32 peak of ``threads`` cores in GFLOP/s, and how it was estimated.

    FLOPs per cycle per core from the widest FMA unit the CPU reports:
    AVX-512 (2 units x 16 lanes x 2) = 64, AVX2+FMA (2 x 8 x 2) = 32, AVX
    without FMA = 16, SSE = 8; times the clock measured by
    :func:`measured_clock_ghz` (else the nominal clock of /proc/cpuinfo).
    ``BENCH_PEAK_GFLOPS`` (GFLOP/s per core) overrides the estimate.
    Returns ``(gflops, how)``.
    """
    override = os.environ.get("BENCH_PEAK_GFLOPS")
    if override:
        per_core = float(override)
        return per_core * threads, f"BENCH_PEAK_GFLOPS={override} per core"
    info = _cpuinfo()
    flags = info["flags"]
    if "avx512f" in flags:
        per_cycle, what = 64, "AVX-512 FMA (2 x 16 lanes x 2)"
    elif "avx2" in flags and "fma" in flags:
        per_cycle, what = 32, "AVX2 FMA (2 x 8 lanes x 2)"
    elif "avx" in flags:
        per_cycle, what = 16, "AVX"
    else:
        per_cycle, what = 8, "SSE"
    ghz = measured_clock_ghz()
    if ghz is not None:
        clock = f"{ghz:.2f} GHz measured"
    else:
        ghz = (info["mhz"] or 2000.0) / 1000.0
        clock = f"{ghz:.2f} GHz nominal"
    peak = per_cycle * ghz * threads
    return peak, f"{what} at {clock} x {threads} core(s)"


def blas_config():
    """NumPy's build-time BLAS/LAPACK and the runtime thread pools (threadpoolctl when present)."""
    import numpy

    out = {}
    try:
        cfg = numpy.show_config(mode="dicts")
        deps = cfg.get("Build Dependencies", {})
        out["numpy_build"] = {k: {kk: deps[k].get(kk) for kk in ("name", "version", "openblas configuration")
                                  if kk in deps[k]} for k in ("blas", "lapack") if k in deps}
    except Exception as exc:
        out["numpy_build"] = f"unavailable: {exc}"
    tpc = optional_import("threadpoolctl")
    if tpc is not None:
        try:
            out["threadpools"] = [
                {k: info.get(k) for k in ("user_api", "internal_api", "prefix", "version",
                                          "num_threads", "threading_layer", "architecture")}
                for info in tpc.threadpool_info()
            ]
        except Exception as exc:
            out["threadpools"] = f"unavailable: {exc}"
    else:
        out["threadpools"] = "threadpoolctl not installed"
    out["env"] = {v: os.environ.get(v) for v in THREAD_ENV_VARS if os.environ.get(v) is not None}
    return out


def environment(threads_list=None):
    """Versions, CPU, BLAS and OpenMP configuration of this process, for the JSON file."""
    import numpy

    info = _cpuinfo()
    env = {
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": info["model"],
        "cpu_mhz": info["mhz"],
        "cpu_count": os.cpu_count(),
        "numpy": numpy.__version__,
    }
    for mod in ("scipy", "torch", "cupy", "threadpoolctl"):
        m = optional_import(mod)
        env[mod] = getattr(m, "__version__", "?") if m is not None else None
    ag = optional_import("autograd")
    env["autograd"] = getattr(ag, "__version__", "present") if ag is not None else None
    if ag is not None:
        env["autograd_num_threads"] = ag.get_num_threads() if hasattr(ag, "get_num_threads") else None
        compiled = optional_import("autograd._C")
        env["autograd_compiled_core"] = compiled is not None
        for attr in ("HAVE_OPENMP", "HAS_OPENMP", "openmp", "has_openmp"):
            if compiled is not None and hasattr(compiled, attr):
                value = getattr(compiled, attr)
                env["autograd_openmp"] = value() if callable(value) else value
                break
    torch = optional_import("torch")
    if torch is not None:
        try:
            env["torch_parallel_info"] = torch.__config__.parallel_info()
        except Exception:
            pass
    env["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY")
    env["import_first"] = os.environ.get("BENCH_IMPORT_FIRST")
    # autograd's per-shape thread choice for products (autograd._C.set_gemm_autotune;
    # on unless AUTOGRAD_GEMM_AUTOTUNE=0)
    env["autograd_gemm_autotune_env"] = os.environ.get("AUTOGRAD_GEMM_AUTOTUNE")
    try:
        from autograd import _C as _compiled
        env["autograd_gemm_autotune"] = bool(_compiled.get_gemm_autotune())
    except Exception:
        env["autograd_gemm_autotune"] = None
    env["blas"] = blas_config()
    peak1, how = fp32_peak_gflops(1)
    env["fp32_peak_gflops_per_core"] = peak1
    env["fp32_peak_how"] = how
    if threads_list:
        env["threads"] = list(threads_list)
    return env


# ----------------------------------------------------------------------
# formatting
# ----------------------------------------------------------------------


def fmt_time(seconds):
    """A time with a unit a person reads at a glance: ``735 µs``, ``1.48 s``."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    s = abs(seconds)
    if s >= 1.0:
        return f"{seconds:.3g} s" if s < 100 else f"{seconds:.0f} s"
    if s >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    if s >= 1e-6:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e9:.3g} ns"


def fmt_num(x, digits=3):
    """A number with ``digits`` significant digits and thousands kept readable."""
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return "-"
    ax = abs(x)
    if ax >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def fmt_ratio(x):
    """A ratio like ``1.52x`` (``-`` when missing)."""
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return "-"
    return f"{x:.2f}x"


def table(headers, rows, title=None, aligns=None):
    """Render ``rows`` (lists of cells) under ``headers`` as a fixed-width text table.

    Text cells are left-aligned, everything else right-aligned, unless
    ``aligns`` (a string of ``l``/``r`` per column) says otherwise.

    Example::

        >>> print(table(["op", "time"], [["relu", "45 µs"]]))
        op     time
        ----  -----
        relu  45 µs
    """
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in row] for row in rows]
    ncol = len(headers)
    for row in cells:
        if len(row) != ncol:
            raise ValueError(f"table: a row has {len(row)} cells, the header has {ncol}")
    widths = [max(len(row[i]) for row in cells) for i in range(ncol)]
    if aligns is None:
        aligns = "l" + "r" * (ncol - 1)
    lines = []
    if title:
        lines.append(title)
    for idx, row in enumerate(cells):
        parts = []
        for i, cell in enumerate(row):
            parts.append(cell.ljust(widths[i]) if aligns[i] == "l" else cell.rjust(widths[i]))
        lines.append("  ".join(parts).rstrip())
        if idx == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ----------------------------------------------------------------------
# JSON
# ----------------------------------------------------------------------


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, set):
        return sorted(_jsonable(v) for v in obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    # numpy scalars and the like
    for conv in (int, float):
        try:
            if hasattr(obj, "item"):
                return _jsonable(obj.item())
            return conv(obj)
        except (TypeError, ValueError):
            continue
    return str(obj)


def write_json(path, payload):
    """Write ``payload`` (dicts, lists, numbers, strings) as indented JSON to ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(_jsonable(payload), fh, indent=1, sort_keys=False)
        fh.write("\n")
    os.replace(tmp, path)


def read_json(path):
    """Read a benchmark JSON file; raise ``ValueError`` naming the file if it is not one."""
    try:
        with open(path) as fh:
            payload = json.load(fh)
    except FileNotFoundError:
        raise FileNotFoundError(f"--compare: no such file: {path}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"--compare: {path} is not valid JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("figures"), list):
        raise ValueError(f"--compare: {path} is not a benchmark result (no 'figures' list)")
    return payload


def collect_garbage():
    """Run the garbage collector, so one engine's leftovers do not bill the next one."""
    gc.collect()
