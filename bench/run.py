"""The benchmark runner: ``python -m bench [SUITE ...] [options]``.

Suites (default ``all``):

* ``kernels``  -- compiled kernels vs the best NumPy expression vs PyTorch
  (:mod:`bench.kernels`): GEMM, ReLU, softmax, log-softmax, cross-entropy, Adam/SGD.
* ``overhead`` -- per-op cost of the dispatch path on tiny tensors, ours vs PyTorch
  (:mod:`bench.overhead_suite`).
* ``mlp``      -- MLP training throughput, ours vs PyTorch vs the hand-written NumPy
  floor vs the GEMM floor (:mod:`bench.mlp`).
* ``gpu``      -- the GPU suite (:mod:`bench.gpu`); part of ``all`` only when CuPy
  sees a GPU.

Options:

* ``--quick``           smoke run, well under a minute (CI runs it after the tests);
* ``--threads 1,2``     thread counts (default: 1 and all cores; quick: 1).  Each count
  runs in subprocesses whose BLAS/OpenMP environment variables are set before
  NumPy loads, so it works without threadpoolctl; inside them
  ``autograd.set_num_threads``, ``torch.set_num_threads`` and threadpoolctl
  (when installed) are set too.  Above one thread each MLP engine gets its own
  process (see :func:`plan_processes` for why);
* ``--json PATH``       every figure (min/median/max, repeats, sizes) plus versions,
  BLAS and OpenMP configuration;
* ``--plot PATH``       PNG charts of the throughputs and ratios (needs matplotlib);
* ``--compare OLD.json`` the change of every figure against an earlier ``--json`` file.

The exit status is 0 unless a suite raised an error (timings never fail a run).

Example::

    python -m bench --quick
    python -m bench mlp --threads 1 --json bench/results/mlp.json --plot mlp.png
    python -m bench all --json new.json --compare bench/results/reference.json
"""

import argparse
import inspect
import os
import subprocess
import sys
import tempfile
import time
import traceback

if __package__ in (None, ""):  # ``python bench/run.py``: make the ``bench`` package importable
    # appended, not prepended: an installed autograd wins over the (maybe unbuilt) source tree
    sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import common
from bench.common import (ThreadLimits, cuda_available, environment, fmt_num, fmt_ratio, fmt_time,
                          read_json, table, thread_env, write_json)

SUITES = ("kernels", "overhead", "mlp", "gpu")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: keys of a foreign row that hold measurements (compared as numbers), by direction
_LOWER_IS_BETTER = ("median", "min", "max", "_us", "_ms", "_s", "time", "seconds", "latency")
_HIGHER_IS_BETTER = ("gflops", "gb_s", "gbs", "per_s", "ratio", "speedup", "throughput",
                     "samples", "percent", "pct", "peak")


def parse_threads(text):
    """``"1,2"`` -> ``[1, 2]``; raises ``argparse.ArgumentTypeError`` on anything else."""
    try:
        values = [int(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--threads: expected integers like 1 or 1,2, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"--threads: expected positive integers like 1 or 1,2, got {text!r}")
    return list(dict.fromkeys(values))


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of autograd side by side with NumPy and PyTorch.",
        epilog="Suites: kernels, overhead, mlp, gpu, all (default).  Figures are medians over repeats.")
    parser.add_argument("suites", nargs="*", default=["all"], metavar="SUITE",
                        help="kernels | overhead | mlp | gpu | all (default: all)")
    parser.add_argument("--quick", action="store_true", help="smoke run, under a minute")
    parser.add_argument("--threads", type=parse_threads, default=None,
                        help="thread counts, e.g. 1 or 1,2 (default: 1,<cores>; quick: 1)")
    parser.add_argument("--json", metavar="PATH", help="write every figure and the environment as JSON")
    parser.add_argument("--plot", metavar="PATH", help="write PNG charts (matplotlib)")
    parser.add_argument("--compare", metavar="OLD.json", help="print the change against an earlier --json file")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per figure (mlp)")
    parser.add_argument("--models", default=None, help="mlp models, comma-separated (784-128-10,784-512-512-10)")
    parser.add_argument("--batches", default=None, help="mlp batch sizes, comma-separated (32,64,128,256)")
    parser.add_argument("--engines", default=None, help="mlp engines, comma-separated (ours,numpy,torch,torch-fused)")
    parser.add_argument("--child-out", dest="child_out", default=None, help=argparse.SUPPRESS)
    return parser


def resolve_suites(names):
    """Expand ``all`` and check names; ``gpu`` joins ``all`` only when a GPU is usable."""
    out = []
    for name in names:
        if name == "all":
            out += ["kernels", "overhead", "mlp"] + (["gpu"] if cuda_available() else [])
        elif name in SUITES:
            out.append(name)
        else:
            raise SystemExit(f"python -m bench: unknown suite {name!r}; expected one of "
                             f"{', '.join(SUITES)} or all")
    return list(dict.fromkeys(out))


# ----------------------------------------------------------------------
# running one thread count in this process
# ----------------------------------------------------------------------


def _call_run(module, quick, threads, **extra):
    """Call ``module.run`` with the keyword arguments it accepts."""
    run = getattr(module, "run", None)
    if run is None:
        raise AttributeError(f"{module.__name__} has no run(quick=..., threads=...) function")
    try:
        accepted = inspect.signature(run).parameters
    except (TypeError, ValueError):
        accepted = {}
    kwargs = {"quick": quick, "threads": threads, **extra}
    if not any(p.kind == p.VAR_KEYWORD for p in accepted.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    return run(**kwargs)


def normalize(rows, suite, threads):
    """Make the dicts a suite returned into figures: ours pass through, foreign rows get wrapped.

    A dict with ``engine`` and ``median`` already is a figure.  Any other dict
    (a table row of another engineer's script) is kept whole under ``row``
    with ``suite`` and ``threads`` added, so it is printed, saved and compared.
    """
    out = []
    for row in rows or []:
        if not isinstance(row, dict):
            raise TypeError(f"suite {suite}: run() must return a list of dicts, got an item of type "
                            f"{type(row).__name__}")
        if "engine" in row and "median" in row:
            fig = dict(row)
            fig.setdefault("suite", suite)
            fig.setdefault("threads", threads)
        else:
            fig = {"suite": suite, "threads": row.get("threads", threads), "row": dict(row)}
        out.append(fig)
    return out


def run_suite(suite, args, threads, log):
    """Run one suite at the current thread count; returns its figures (errors become figures too)."""
    t0 = time.perf_counter()
    try:
        if suite == "mlp":
            from bench import mlp

            extra = {}
            if args.models:
                extra["models"] = [m.strip() for m in args.models.split(",") if m.strip()]
            if args.batches:
                extra["batches"] = [int(b) for b in args.batches.split(",") if b.strip()]
            if args.engines:
                extra["engines"] = tuple(e.strip() for e in args.engines.split(",") if e.strip())
            if args.repeats:
                extra["repeats"] = args.repeats
            figs = mlp.run(quick=args.quick, threads=threads, log=log, **extra)
        elif suite == "overhead":
            from bench import overhead_suite

            figs = overhead_suite.run(quick=args.quick, threads=threads, log=log)
        else:
            module_name = {"kernels": "bench.kernels", "gpu": "bench.gpu"}[suite]
            if suite == "gpu" and not cuda_available():
                note = "gpu: skipped, CuPy is not importable or sees no GPU (GPU columns omitted)"
                log("note: " + note)
                return [{"suite": suite, "threads": threads, "name": "note", "engine": None,
                         "params": {}, "note": note}]
            source = os.path.join(REPO_ROOT, *module_name.split(".")) + ".py"
            if not os.path.exists(source):
                note = f"{suite}: skipped, {os.path.relpath(source, REPO_ROOT)} does not exist"
                log("note: " + note)
                return [{"suite": suite, "threads": threads, "name": "note", "engine": None,
                         "params": {}, "note": note}]
            import importlib

            module = importlib.import_module(module_name)  # a broken module is an error, not a skip
            if suite == "gpu" and not hasattr(module, "run"):
                figs = normalize(_gpu_via_main(module, args.quick), suite, threads)
            else:
                figs = normalize(_call_run(module, args.quick, threads, log=log), suite, threads)
            if suite == "kernels":
                figs += kernels_extra(figs, args.quick, threads, log)
                add_peak_percent(figs, threads)
    except Exception as exc:
        text = traceback.format_exc()
        log(f"ERROR in suite {suite} (threads={threads}):\n{text}")
        return [{"suite": suite, "threads": threads, "name": "error", "engine": None, "params": {},
                 "error": f"{type(exc).__name__}: {exc}", "traceback": text}]
    log(f"{suite} (threads={threads}) done in {time.perf_counter() - t0:.1f} s")
    return figs


def kernels_extra(have, quick, threads, log):
    """Figures the issue asks for that ``bench/kernels.py`` does not measure (yet).

    A square GEMM sweep 64...2048 and ``log_softmax_backward``: ours (the
    cpu backend call) vs NumPy vs PyTorch, in the kernels suite's schema.
    Anything ``have`` already holds (same name and size) is skipped.
    """
    import numpy as np

    from autograd.backend import get_backend
    from bench.common import figure, measure

    cpu = get_backend("cpu")
    torch = common.optional_import("torch")
    repeats, min_time = (3, 0.002) if quick else (7, 0.05)
    done = {(f.get("name"), (f.get("params") or {}).get("size")) for f in have}
    rng = np.random.default_rng(0)
    out = []

    def add(name, size, fns, derived_of):
        if (name, size) in done:
            return
        for engine, fn in fns.items():
            if fn is None:
                continue
            timing = measure(fn, repeats=repeats, min_repeat_time=min_time)
            out.append(figure("kernels", name, engine, threads, timing, {"size": size, "dtype": "float32"},
                              derived_of(timing), note="measured by bench/run.py"))
        log(f"  {name} {size} done")

    squares = (64, 256) if quick else (64, 128, 256, 512, 1024, 2048)
    for n in squares:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        ta, tb = (torch.from_numpy(a), torch.from_numpy(b)) if torch is not None else (None, None)
        flops = 2 * n ** 3
        add("gemm", f"{n}^3", {"ours": lambda: cpu.gemm(a, b), "numpy": lambda: np.matmul(a, b),
                               "torch": (lambda: torch.mm(ta, tb)) if torch is not None else None},
            lambda t, flops=flops: {"GFLOP/s": flops / t["median"] / 1e9})
    for shape in ((256, 1024),) if quick else ((256, 1024), (4096, 4096)):
        x = rng.standard_normal(shape, dtype=np.float32) * 5
        g = rng.standard_normal(shape, dtype=np.float32)
        y = cpu.log_softmax_forward(x)

        def numpy_lsm_backward(g=g, y=y):
            out_ = np.exp(y)
            out_ *= g.sum(axis=1, keepdims=True)
            np.subtract(g, out_, out=out_)
            return out_

        fns = {"ours": lambda g=g, y=y: cpu.log_softmax_backward(g, y), "numpy": numpy_lsm_backward,
               "torch": None}
        if torch is not None:
            tg, ty = torch.from_numpy(g), torch.from_numpy(y)
            fns["torch"] = lambda tg=tg, ty=ty: torch.ops.aten._log_softmax_backward_data(tg, ty, 1, torch.float32)
        nbytes = 3 * x.nbytes
        add("log_softmax_backward", f"{shape}", fns, lambda t, nbytes=nbytes: {"GB/s": nbytes / t["median"] / 1e9})
    return out


def add_peak_percent(figs, threads):
    """Add ``% fp32 peak`` to every GEMM figure, from :func:`bench.common.fp32_peak_gflops`."""
    peak, how = common.fp32_peak_gflops(threads)
    for f in figs:
        rate = (f.get("derived") or {}).get("GFLOP/s")
        if rate and str(f.get("name", "")).startswith("gemm"):
            f["derived"]["pct_fp32_peak"] = 100.0 * rate / peak
            f["derived"]["fp32_peak_gflops"] = peak


def render_gemm_peak(figs):
    """GEMM GFLOP/s of each engine and as a percentage of the fp32 peak."""
    by = {}
    for f in figs:
        d = f.get("derived") or {}
        if "pct_fp32_peak" in d:
            by.setdefault((f["params"].get("size"), f.get("threads")), {})[f["engine"]] = d
    if not by:
        return ""
    engines = [e for e in ("ours", "numpy", "torch") if any(e in v for v in by.values())]
    rows = []
    peak = None
    for (size, thr), row in by.items():
        peak = next(iter(row.values()))["fp32_peak_gflops"]
        cells = [size, thr]
        for e in engines:
            d = row.get(e)
            cells.append(f"{d['GFLOP/s']:.1f} ({d['pct_fp32_peak']:.0f}%)" if d else "-")
        rows.append(cells)
    return table(["gemm", "thr"] + [f"{e} GFLOP/s (% peak)" for e in engines], rows,
                 title=f"GEMM against the fp32 peak ({fmt_num(peak)} GFLOP/s at the last thread count; "
                       "see the header for how it is estimated)", aligns="lr" + "r" * len(engines))


def _gpu_via_main(module, quick):
    """Rows of ``bench/gpu.py`` run through its ``main([--quick] --json TMP)`` (it has no run())."""
    fd, path = tempfile.mkstemp(prefix="bench-gpu-", suffix=".json")
    os.close(fd)
    try:
        status = module.main((["--quick"] if quick else []) + ["--json", path])
        if status not in (0, None):
            raise RuntimeError(f"bench/gpu.py exited with status {status}")
        import json

        with open(path) as fh:
            payload = json.load(fh)
        rows = []
        for row in payload.get("results", []):
            row = {k: v for k, v in row.items() if not isinstance(v, (dict, list))}
            rows.append(row)
        return rows
    finally:
        os.remove(path)


def run_here(args, suites, threads):
    """Run ``suites`` in this process at ``threads`` threads; returns ``(figures, environment)``."""
    log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
    figures = []
    with ThreadLimits(threads) as limits:
        env = environment([threads])
        env["thread_control"] = limits.applied
        for suite in suites:
            figures += run_suite(suite, args, threads, log)
    return figures, env


# ----------------------------------------------------------------------
# one subprocess per thread count
# ----------------------------------------------------------------------


def _child_argv(args, suites, threads, out_path):
    # run.py as a script (not ``-m`` from the root), so the child imports the same autograd as
    # an installed package would be: the source tree is only a fallback (see the top of run.py)
    argv = [sys.executable, os.path.join(REPO_ROOT, "bench", "run.py"), *suites, "--threads", str(threads), "--child-out", out_path]
    if args.quick:
        argv.append("--quick")
    for flag in ("repeats", "models", "batches", "engines"):
        value = getattr(args, flag)
        if value:
            argv += [f"--{flag}", str(value)]
    return argv


def _run_child(args, suites, threads, import_first=None, engines=None):
    """One benchmark process: ``suites`` at ``threads`` threads; returns ``(figures, environment)``.

    ``import_first`` names the library the process imports before any other
    (see :func:`plan_processes`); ``engines`` restricts the MLP suite.
    """
    fd, out_path = tempfile.mkstemp(prefix=f"bench-t{threads}-", suffix=".json")
    os.close(fd)
    try:
        env = thread_env(threads)
        if import_first:
            env["BENCH_IMPORT_FIRST"] = import_first
        else:
            env.pop("BENCH_IMPORT_FIRST", None)
        child_args = argparse.Namespace(**vars(args))
        if engines:
            child_args.engines = engines
        proc = subprocess.run(_child_argv(child_args, suites, threads, out_path), env=env, cwd=REPO_ROOT)
        payload = read_json(out_path) if os.path.getsize(out_path) > 0 else None
        figures = []
        if proc.returncode != 0 or payload is None:
            figures.append({"suite": "runner", "threads": threads, "name": "error", "engine": None,
                            "params": {}, "error": f"the benchmark process for {', '.join(suites)} at "
                                                  f"threads={threads} exited with status {proc.returncode}"})
        if payload is not None:
            figures += payload["figures"]
        return figures, (payload or {}).get("environment", {})
    finally:
        try:
            os.remove(out_path)
        except OSError:
            pass


def plan_processes(args, suites, threads):
    """The benchmark processes for one thread count: ``[(suites, import_first, engines), ...]``.

    With one thread everything runs in one process, the MLP engines taking
    turns repeat by repeat (fairest under load from elsewhere).  With more
    threads, libraries that share one OpenMP runtime (libgomp) in one process
    disturb each other: ``autograd`` sets ``OMP_WAIT_POLICY=PASSIVE`` when it
    loads libgomp first (right for its kernels between OpenBLAS calls), and
    PyTorch's 2-thread training step then runs 3-4x slower.  So at more than
    one thread:

    * kernels and overhead (per-call comparisons) run in a process that
      imports torch first, so both libraries get libgomp's default policy;
    * each MLP engine runs in its own process importing its own library
      first, as a user's program would (the floor with torch first).
    """
    if threads <= 1:
        return [(suites, None, None)]
    plan = []
    others = [s for s in suites if s != "mlp"]
    if others:
        plan.append((others, "torch", None))
    if "mlp" in suites:
        wanted = [e.strip() for e in (args.engines or "ours,numpy,torch,torch-fused,floor").split(",") if e.strip()]
        for engine in wanted:
            plan.append((["mlp"], "autograd" if engine == "ours" else "torch", engine))
    return plan


def run_children(args, suites, thread_counts):
    """Run each thread count in fresh processes with its thread environment; merge the results."""
    figures, envs = [], {}
    for threads in thread_counts:
        print(f"== threads={threads}: {', '.join(suites)}", file=sys.stderr, flush=True)
        for group, import_first, engines in plan_processes(args, suites, threads):
            figs, env = _run_child(args, group, threads, import_first, engines)
            figures += figs
            if env:
                key = str(threads) if str(threads) not in envs else f"{threads}:{engines or ','.join(group)}"
                envs[key] = env
    return figures, envs


# ----------------------------------------------------------------------
# output: tables, comparison, plot
# ----------------------------------------------------------------------


def _is_measure_key(key, value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def render_rows(figs, title):
    """Foreign rows (wrapped by :func:`normalize`) as one table, columns in first-seen order."""
    columns = ["threads"]
    for fig in figs:
        for key, value in fig["row"].items():
            if key not in columns and not isinstance(value, (list, dict)):
                columns.append(key)
    rows = []
    for fig in figs:
        row = dict(fig["row"])
        row.setdefault("threads", fig.get("threads"))
        cells = []
        for key in columns:
            value = row.get(key)
            if isinstance(value, float):
                cells.append(fmt_num(value))
            else:
                cells.append("-" if value is None else str(value))
        rows.append(cells)
    aligns = "".join("r" if any(isinstance(f["row"].get(c), (int, float)) for f in figs) else "l"
                     for c in columns)
    return table(columns, rows, title=title, aligns=aligns)


def render_figures(figs, title):
    """Figures of our schema, one row per (name, params, threads), one column per engine."""
    by_row = {}
    engines = []
    for f in figs:
        params = ", ".join(f"{k}={v}" for k, v in (f.get("params") or {}).items())
        key = (f["name"], params, f.get("threads"))
        by_row.setdefault(key, {})[f["engine"]] = f
        if f["engine"] not in engines:
            engines.append(f["engine"])
    headers = ["name", "params", "thr"] + [f"{e}" for e in engines]
    if "ours" in engines:
        headers += [f"{e}/ours" for e in engines if e != "ours"]
    rows = []
    for (name, params, thr), row in by_row.items():
        cells = [name, params, thr] + [fmt_time(row[e]["median"]) if e in row else "-" for e in engines]
        if "ours" in engines:
            for e in engines:
                if e == "ours":
                    continue
                r = row[e]["median"] / row["ours"]["median"] if e in row and "ours" in row else None
                cells.append(fmt_ratio(r))
        rows.append(cells)
    return table(headers, rows, title=title)


def render_suite(suite, figs):
    """Text for one suite: its own renderer when it has one, else the generic tables."""
    parts = []
    notes = [f["note"] for f in figs if f.get("note") and f.get("name") == "note"]
    errors = [f for f in figs if f.get("name") == "error"]
    body = [f for f in figs if f.get("name") not in ("note", "error")]
    if suite == "mlp":
        from bench import mlp

        if body:
            parts.append(mlp.render(body))
    elif suite == "overhead":
        from bench import overhead_suite

        if body:
            parts.append(overhead_suite.render(body))
    elif suite == "kernels" and body and all("row" not in f for f in body) and _kernels_render() is not None:
        parts.append(_kernels_render()(body))
        peak_table = render_gemm_peak(body)
        if peak_table:
            parts.append(peak_table)
    else:
        rows = [f for f in body if "row" in f]
        ours = [f for f in body if "row" not in f]
        if rows:
            parts.append(render_rows(rows, title=f"{suite}"))
        if ours:
            parts.append(render_figures(ours, title=f"{suite} (median seconds per call; X/ours > 1 means ours "
                                                     "is faster)"))
    if notes:
        parts.append("\n".join("note: " + n for n in dict.fromkeys(notes)))
    parts += [f"ERROR ({f.get('threads')} threads): {f['error']}" for f in errors]
    return "\n\n".join(parts)


def _kernels_render():
    """``bench.kernels.render`` when the module is there and has one."""
    if not os.path.exists(os.path.join(REPO_ROOT, "bench", "kernels.py")):
        return None
    try:
        import bench.kernels as kernels
    except Exception:
        return None
    return getattr(kernels, "render", None)


def render_all(figures, suites):
    out = []
    for suite in list(suites) + ["runner"]:
        figs = [f for f in figures if f.get("suite") == suite]
        if figs:
            out.append(f"=== {suite} " + "=" * max(0, 60 - len(suite)))
            out.append(render_suite(suite, figs))
    return "\n\n".join(out)


def _row_identity(fig):
    row = fig["row"]
    ident = tuple(sorted((k, str(v)) for k, v in row.items()
                         if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)
                                                   and not _direction(k))))
    return ("row", fig.get("suite"), fig.get("threads"), ident)


def _direction(key):
    """+1 when a bigger value of ``key`` is better, -1 when smaller is better, 0 when unknown."""
    k = key.lower()
    if any(s in k for s in _HIGHER_IS_BETTER):
        return 1
    if any(k.endswith(s) or s in k for s in _LOWER_IS_BETTER):
        return -1
    return 0


def compare(new_figures, old_payload, threshold=0.10):
    """Text table of every figure's change against ``old_payload`` (a parsed ``--json`` file).

    Times (lower is better) and throughputs (higher is better) are both shown
    as the relative change of the time, so ``+12%`` always means slower:
    ``REGRESSION`` marks changes worse than ``threshold``, ``faster`` the reverse.
    """
    def index(figs):
        out = {}
        for f in figs:
            if f.get("name") in ("note", "error"):
                continue
            if "row" in f:
                ident = _row_identity(f)
                for k, v in f["row"].items():
                    if _is_measure_key(k, v) and _direction(k):
                        out[ident + (k,)] = (v, _direction(k), f)
            elif f.get("median") is not None:
                out[common.figure_key(f)] = (f["median"], -1, f)
        return out

    new_idx, old_idx = index(new_figures), index(old_payload.get("figures", []))
    rows = []
    worse = better = 0
    for key, (new_v, direction, fig) in new_idx.items():
        if key not in old_idx:
            continue
        old_v = old_idx[key][0]
        if not old_v or not new_v:
            continue
        # express every change as "time ratio": >1 slower
        time_ratio = new_v / old_v if direction < 0 else old_v / new_v
        change = time_ratio - 1.0
        flag = ""
        if change > threshold:
            flag, worse = "REGRESSION", worse + 1
        elif change < -threshold:
            flag, better = "faster", better + 1
        if "row" in fig:
            label = " ".join(str(v) for k, v in key[3]) + f" [{key[-1]}]"
            old_s, new_s = fmt_num(old_v), fmt_num(new_v)
        else:
            params = ",".join(f"{k}={v}" for k, v in fig.get("params", {}).items()
                              if k not in ("data", "optimizer", "loss", "steps", "samples", "dtype", "ops"))
            label = f"{fig['name']} {params} {fig['engine']}"
            old_s, new_s = fmt_time(old_v), fmt_time(new_v)
        rows.append([fig.get("suite"), label, fig.get("threads"), old_s, new_s, f"{change * 100:+.1f}%", flag])
    if not rows:
        return "compare: no figure in common with the old file"
    old_date = old_payload.get("environment", {}).get("date_utc", "?")
    head = table(["suite", "figure", "thr", "old", "new", "time change", ""], rows,
                 title=f"Change against the run of {old_date} (time change: + is slower; "
                       f"marks beyond {threshold:.0%})", aligns="llrrrrl")
    missing = len(set(old_idx) - set(new_idx))
    return head + f"\n{len(rows)} figures compared: {worse} slower, {better} faster" + (
        f", {missing} old figures not measured this time" if missing else "")


def plot(figures, path):
    """PNG charts: MLP samples/s and ratios, kernel speed ratios, per-op overhead."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot: matplotlib is not installed; no plot written", file=sys.stderr)
        return False
    from bench import mlp, overhead_suite

    panels = []  # (kind, data, relative height)
    train = [f for f in figures if f.get("suite") == "mlp" and str(f.get("name", "")).startswith("train ")]
    if train:
        panels.append(("mlp", train, 4))
        mlp_ratios = _ratio_series([f for f in train])
        if mlp_ratios:
            panels.append(("mlp-ratios", mlp_ratios, 4))
    kernel_ratios = _ratio_series([f for f in figures if f.get("suite") == "kernels"])
    if kernel_ratios:
        panels.append(("kernel-ratios", kernel_ratios, 1.5 + 0.22 * len(kernel_ratios)))
    ovh = [f for f in figures if f.get("suite") == "overhead" and f.get("median") is not None]
    if ovh:
        panels.append(("overhead", ovh, 4))
    if not panels:
        print("--plot: nothing to plot", file=sys.stderr)
        return False
    heights = [p[2] for p in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(12, sum(heights) + 1),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (kind, data, _) in zip(axes[:, 0], panels):
        if kind == "mlp":
            mlp.plot_throughput(ax, data)
        elif kind == "overhead":
            overhead_suite.plot(ax, data)
        elif kind == "mlp-ratios":
            _plot_grouped_ratios(ax, data, "MLP training: speed of ours / baseline (> 1: ours is faster)")
        else:
            labels = list(data)
            values = [data[k] for k in labels]
            ys = range(len(labels))
            ax.barh(list(ys), values, color=["tab:green" if v >= 1 else "tab:red" for v in values])
            ax.axvline(1.0, color="black", lw=0.8)
            ax.set_xscale("log")
            ax.set_yticks(list(ys))
            ax.set_yticklabels(labels, fontsize=7)
            ax.invert_yaxis()
            ax.set_xlabel("speed of ours / baseline (log; > 1: ours is faster)")
            ax.set_title("Kernels: ours vs the best NumPy expression and PyTorch (median)")
    fig.tight_layout()
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _plot_grouped_ratios(ax, data, title):
    """``data`` maps "group vs baseline" labels to ratios: bars grouped by group, one per baseline."""
    groups, bases = [], []
    for label in data:
        group, base = label.rsplit(" vs ", 1)
        if group not in groups:
            groups.append(group)
        if base not in bases:
            bases.append(base)
    width = 0.8 / max(len(bases), 1)
    for i, base in enumerate(bases):
        xs = [g + i * width for g in range(len(groups))]
        ax.bar(xs, [data.get(f"{grp} vs {base}", 0) for grp in groups], width, label=f"vs {base}")
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks([g + width * (len(bases) - 1) / 2 for g in range(len(groups))])
    ax.set_xticklabels([g.replace(" ", "\n", 1) for g in groups], fontsize=7)
    ax.set_ylabel("speed ratio")
    ax.set_title(title)
    ax.legend(fontsize=8)


def _ratio_series(figures):
    """``{label: speed ratio of ours over a baseline}`` for every figure pair that has both."""
    by = {}
    for f in figures:
        if f.get("engine") is None or f.get("median") is None or f.get("name") in ("note", "error"):
            continue
        if f.get("suite") == "mlp" and not str(f.get("name")).startswith("train "):
            continue
        params = f.get("params") or {}
        if f.get("suite") == "mlp":
            short = f"{params.get('model')} b{params.get('batch')}"
        else:
            short = str(params.get("size", params.get("shape", "")))
        by.setdefault((f["suite"], f["name"], short, f.get("threads")), {})[f["engine"]] = f["median"]
    out = {}
    for (suite, name, short, thr), engines in by.items():
        if "ours" not in engines:
            continue
        for base in ("numpy", "torch", "torch-fused"):
            if base in engines:
                if suite == "mlp":
                    label = f"{short} t{thr} vs {base}"
                else:
                    label = f"{name} {short} t{thr} vs {base}"
                out[label] = engines[base] / engines["ours"]
    return out


# ----------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------


def main(argv=None):
    args = build_parser().parse_args(argv)
    suites = resolve_suites(args.suites)
    if args.child_out:  # a child: one thread count, results to a file
        first = os.environ.get("BENCH_IMPORT_FIRST")
        policy = os.environ.get("OMP_WAIT_POLICY")
        if first:  # decides which library loads the shared OpenMP runtime (see plan_processes)
            common.optional_import(first)
        threads = args.threads[0] if args.threads else 1
        figures, env = run_here(args, suites, threads)
        # libgomp reads the policy once, when the first library that links it loads
        loader = first or "autograd"
        env["omp_wait_policy"] = (f"{policy or ('PASSIVE (set by autograd)' if loader == 'autograd' else 'default')}"
                                  f", libgomp loaded by {loader}")
        write_json(args.child_out, {"figures": figures, "environment": env})
        return 1 if any(f.get("name") == "error" for f in figures) else 0

    old = read_json(args.compare) if args.compare else None  # fail early on a bad file
    thread_counts = args.threads or ([1] if args.quick else list(dict.fromkeys([1, os.cpu_count() or 1])))
    started = time.time()
    figures, envs = run_children(args, suites, thread_counts)
    elapsed = time.time() - started

    header = _header(envs, thread_counts, elapsed, args.quick)
    print(header)
    print()
    print(render_all(figures, suites))
    if old is not None:
        print()
        print(compare(figures, old))
    if args.json:
        write_json(args.json, {"suites": suites, "threads": thread_counts, "quick": args.quick,
                               "elapsed_s": elapsed, "environment": envs.get(str(thread_counts[0]), {}),
                               "environment_by_threads": envs, "figures": figures})
        print(f"\nwrote {args.json}")
    if args.plot:
        if plot(figures, args.plot):
            print(f"wrote {args.plot}")
    errors = [f for f in figures if f.get("name") == "error"]
    return 1 if errors else 0


def _header(envs, thread_counts, elapsed, quick):
    env = envs.get(str(thread_counts[0])) or {}
    lines = [f"autograd benchmarks{' (quick)' if quick else ''} -- {env.get('date_utc', '?')} UTC, "
             f"{elapsed:.0f} s, threads {','.join(map(str, thread_counts))}"]
    lines.append(f"cpu: {env.get('cpu', '?')} ({env.get('cpu_count', '?')} logical cpus), fp32 peak estimate "
                 f"{fmt_num(env.get('fp32_peak_gflops_per_core'))} GFLOP/s per core ({env.get('fp32_peak_how', '?')})")
    versions = [f"python {env.get('python', '?')}", f"numpy {env.get('numpy', '?')}"]
    for mod in ("scipy", "torch", "cupy", "threadpoolctl"):
        versions.append(f"{mod} {env.get(mod) or 'absent'}")
    versions.append(f"autograd {'compiled core' if env.get('autograd_compiled_core') else 'NO compiled core'}"
                    f"{', OpenMP' if env.get('autograd_openmp') else ''}" if env.get("autograd") else "autograd absent")
    lines.append(", ".join(versions))
    blas = env.get("blas", {}).get("numpy_build", {})
    if isinstance(blas, dict) and "blas" in blas:
        lines.append(f"numpy BLAS: {blas['blas'].get('name')} {blas['blas'].get('version')}")
    if not env.get("torch"):
        lines.append("note: PyTorch is not importable: torch columns are skipped")
    if not env.get("cupy"):
        lines.append("note: CuPy is not importable: GPU columns are skipped")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
