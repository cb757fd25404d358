"""Per-op overhead of the dispatch path: a 10-op chain on tiny tensors, ours vs PyTorch.

The chain (10 differentiable ops on ``x`` and a weight ``w`` of the same shape)::

    y = x * w;  y = y + w;  y = tanh(y);  y = y * 0.5;  y = y - w
    y = sigmoid(y);  y = y * y;  y = exp(y);  y = y / w;  s = y.sum()

is timed three ways, per op (chain time / 10):

* ``forward no_grad``    -- under ``no_grad``: the op path without recording;
* ``forward recording``  -- ``x`` and ``w`` require grad: the forward of a training step;
* ``forward+backward``   -- the recorded chain and ``s.backward()`` (with ``x.grad``
  and ``w.grad`` reset to None each time, so no accumulation is timed).

on 1-element tensors (pure overhead) and on (64, 128) float32 tensors (overhead
plus small kernels).  NumPy appears in the forward rows as the cost of the
bare array expressions (the floor for the forward).  The engines' repeats
are interleaved, so load from elsewhere hits all of them alike.

Example::

    >>> figs = run(quick=True, threads=1)    # doctest: +SKIP
    >>> print(render(figs))                  # doctest: +SKIP
"""

import contextlib
import os
import sys

import numpy as np

if __package__ in (None, ""):
    # appended, not prepended: an installed autograd wins over the (maybe unbuilt) source tree
    sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import (figure, fmt_ratio, import_error, measure_interleaved, optional_import, table)

SUITE = "overhead"
CHAIN_OPS = 10
SHAPES = ((1,), (64, 128))
MODES = ("forward no_grad", "forward recording", "forward+backward")


def chain(x, w):
    """The 10-op chain; works for our tensors, PyTorch tensors and NumPy arrays alike."""
    y = x * w
    y = y + w
    y = y.tanh() if hasattr(y, "tanh") else np.tanh(y)
    y = y * 0.5
    y = y - w
    y = y.sigmoid() if hasattr(y, "sigmoid") else 1.0 / (1.0 + np.exp(-y))
    y = y * y
    y = y.exp() if hasattr(y, "exp") else np.exp(y)
    y = y / w
    return y.sum()


def _numpy_case(shape, mode):
    if mode == "forward+backward":
        return None
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    w = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    return lambda: chain(x, w)


def _autodiff_case(shape, mode, tensor, no_grad):
    """The chain on two leaves made by ``tensor(array, requires_grad=...)`` of an autodiff
    engine (ours or PyTorch), timed in ``mode``; ``no_grad`` is the engine's context manager."""
    rng = np.random.default_rng(0)
    grad = mode != "forward no_grad"
    x = tensor(rng.uniform(0.5, 1.5, shape).astype(np.float32), requires_grad=grad)
    w = tensor(rng.uniform(0.5, 1.5, shape).astype(np.float32), requires_grad=grad)
    if mode == "forward no_grad":
        def fn():
            chain(x, w)
        fn.grad_mode = no_grad  # entered around the whole measurement, not per call
    elif mode == "forward recording":
        def fn():
            chain(x, w)
    else:
        def fn():
            x.grad = None
            w.grad = None
            chain(x, w).backward()
    return fn


def _torch_case(shape, mode):
    torch = optional_import("torch")
    if torch is None:
        return None
    return _autodiff_case(shape, mode, torch.tensor, torch.no_grad)


def _ours_case(shape, mode):
    ag = optional_import("autograd")
    if ag is None or not hasattr(ag, "tensor"):
        return None
    return _autodiff_case(shape, mode, ag.tensor, ag.no_grad)


ENGINE_CASES = {"ours": _ours_case, "torch": _torch_case, "numpy": _numpy_case}


def run(quick=False, threads=None, log=None):
    """Run the chain benchmarks; return figures."""
    log = log or (lambda *a: print(*a, file=sys.stderr, flush=True))
    repeats, min_time = (3, 0.005) if quick else (15, 0.03)
    figures = []
    for name, why in (("ours", "autograd"), ("torch", "torch")):
        module = optional_import(why)
        if module is None or (name == "ours" and not hasattr(module, "tensor")):
            note = f"{name}: skipped, {why} is not importable ({import_error(why) or 'no tensor()'})"
            log("note: " + note)
            figures.append({"suite": SUITE, "name": "note", "engine": None, "threads": threads,
                            "params": {}, "note": note})
    for shape in SHAPES:
        for mode in MODES:
            # the engines' repeats are interleaved: on a shared machine back-to-back
            # timings of the same chain differ by up to 1.5x, interleaved ratios far less
            cases = []
            for engine, make in ENGINE_CASES.items():
                fn = make(shape, mode)
                if fn is None:
                    continue
                grad_mode = getattr(fn, "grad_mode", contextlib.nullcontext)
                with grad_mode():
                    try:
                        fn()  # a first call also checks that the chain works on this engine
                    except Exception as exc:
                        raise RuntimeError(f"overhead: the 10-op chain fails on {engine} ({mode}, shape "
                                           f"{shape}): {type(exc).__name__}: {exc}") from exc
                cases.append((engine, fn, grad_mode))
            timings = measure_interleaved([fn for _, fn, _ in cases], repeats=repeats, warmup=3,
                                          min_repeat_time=min_time,
                                          contexts=[ctx for _, _, ctx in cases])
            for (engine, _, _), timing in zip(cases, timings):
                per_op = timing["median"] / CHAIN_OPS
                figures.append(figure(SUITE, f"10-op chain, {mode}", engine, threads, timing,
                                      {"shape": "x".join(map(str, shape)), "ops": CHAIN_OPS, "dtype": "float32"},
                                      {"us_per_op": per_op * 1e6}))
    return figures


def render(figures):
    """The chain figures as µs per op, with ratios PyTorch/ours (> 1: ours is cheaper)."""
    ours_figs = [f for f in figures if f.get("suite") == SUITE and f.get("name", "").startswith("10-op chain")]
    parts = []
    if ours_figs:
        by = {}
        for f in ours_figs:
            key = (f["params"]["shape"], f["name"].split(", ", 1)[1], f["threads"])
            by.setdefault(key, {})[f["engine"]] = f["derived"]["us_per_op"]
        rows = []
        for (shape, mode, thr), e in by.items():
            def cell(name):
                return f"{e[name]:.2f}" if name in e else "-"
            ratio = e["torch"] / e["ours"] if "torch" in e and "ours" in e else None
            rows.append([mode, shape, thr, cell("ours"), cell("torch"), cell("numpy"), fmt_ratio(ratio)])
        parts.append(table(["10-op chain", "shape", "thr", "ours µs/op", "torch µs/op", "numpy µs/op",
                            "torch/ours"], rows,
                           title="Per-op overhead (median µs per op; torch/ours > 1 means ours is cheaper)",
                           aligns="llrrrrr"))
        targets = []
        for (shape, mode, thr), e in by.items():
            if shape == "1" and mode in ("forward recording", "forward+backward") and "ours" in e and "torch" in e:
                verdict = "met" if e["ours"] <= e["torch"] else "NOT met"
                targets.append(f"target ours <= torch per op ({mode}, 1 element, {thr} thread(s)): "
                               f"{e['ours']:.2f} vs {e['torch']:.2f} µs: {verdict}")
        if targets:
            parts.append("\n".join(targets))
    return "\n\n".join(parts)


def plot(ax, figures):
    """Bar chart of µs per op for each (mode, shape), one bar per engine."""
    figs = [f for f in figures if f.get("name", "").startswith("10-op chain")]
    groups = []
    values = {}
    for f in figs:
        label = f"{f['name'].split(', ', 1)[1]}\n{f['params']['shape']} t{f['threads']}"
        if label not in groups:
            groups.append(label)
        values.setdefault(f["engine"], {})[label] = f["derived"]["us_per_op"]
    engines = [e for e in ("ours", "torch", "numpy") if e in values]
    width = 0.8 / max(len(engines), 1)
    for i, eng in enumerate(engines):
        xs = [g + i * width for g in range(len(groups))]
        ax.bar(xs, [values[eng].get(g, 0) for g in groups], width, label=eng)
    ax.set_xticks([g + width * (len(engines) - 1) / 2 for g in range(len(groups))])
    ax.set_xticklabels(groups, fontsize=7)
    ax.set_ylabel("µs per op (lower is better)")
    ax.set_title("Per-op overhead, 10-op chain")
    ax.legend()


def main(argv=None):
    """``python bench/overhead_suite.py [--quick] [--threads N]``."""
    import argparse

    from bench.common import ThreadLimits

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    with ThreadLimits(args.threads):
        figs = run(quick=args.quick, threads=args.threads)
    print(render(figs))


if __name__ == "__main__":
    main()
