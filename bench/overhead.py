"""Per-op overhead: forward and forward+backward through a 10-op chain.

Runs the same chain with autograd and (when importable) PyTorch in the same
process, on 1-element tensors (pure dispatch overhead) and on (64, 128)
tensors, and prints a table of microseconds per op::

    op chain: mul, add, tanh, mul-by-scalar, sigmoid, sub, relu, mul, exp, sum

Usage: ``python bench/overhead.py [--repeat 5] [--number 2000] [--json PATH]``
(writes ``bench/results/overhead.json`` by default).
"""

import argparse
import json
import os
import sys
import time

# appended, not prepended: an installed autograd wins over the (maybe unbuilt) source tree
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import autograd as ag  # noqa: E402

N_OPS = 10


def chain(x, w, b):
    y = x * w
    y = y + b
    y = y.tanh()
    y = y * 2.0
    y = y.sigmoid()
    y = y - b
    y = y.relu()
    y = y * w
    y = y.exp()
    return y.sum()


def measure(fn, number):
    """Mean seconds per call over ``number`` calls."""
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def make_cases(lib, shape):
    """The three measured callables for one library and shape."""
    def make(v):
        t = lib.full(shape, v)
        t.requires_grad_(True)
        return t
    x, w, b = make(0.5), make(0.9), make(0.1)

    def forward():
        chain(x, w, b)

    def forward_backward():
        chain(x, w, b).backward()

    def forward_no_grad():
        with lib.no_grad():
            chain(x, w, b)

    return {"forward": forward, "forward_backward": forward_backward,
            "no_grad_forward": forward_no_grad}


def bench(libs, shape, number, repeat):
    """Best-of-``repeat`` microseconds per op, the libraries interleaved so that
    background load hits both alike."""
    cases = {name: make_cases(lib, shape) for name, lib in libs.items()}
    best = {name: {k: float("inf") for k in c} for name, c in cases.items()}
    for c in cases.values():
        for fn in c.values():
            for _ in range(min(number, 200)):
                fn()
    for _ in range(repeat):
        for name, c in cases.items():
            for k, fn in c.items():
                best[name][k] = min(best[name][k], measure(fn, number) * 1e6 / N_OPS)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "results",
                                                       "overhead.json"))
    args = parser.parse_args(argv)
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    results = {}
    rows = []
    libs = {"autograd": ag}
    if torch is not None:
        libs["torch"] = torch
    for shape in [(1,), (64, 128)]:
        number = args.number if shape == (1,) else max(args.number // 4, 50)
        best = bench(libs, shape, number, args.repeat)
        key = "x".join(map(str, shape))
        results[key] = best
        for metric in ("forward", "forward_backward", "no_grad_forward"):
            o = best["autograd"][metric]
            t = best["torch"][metric] if "torch" in best else float("nan")
            rows.append((key, metric, o, t, o / t))
    print(f"{'shape':>8} {'measure':>18} {'autograd us/op':>15} {'torch us/op':>12} "
          f"{'ratio':>6}")
    for key, metric, o, t, r in rows:
        print(f"{key:>8} {metric:>18} {o:15.2f} {t:12.2f} {r:6.2f}")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"ops_in_chain": N_OPS, "results": results,
                   "torch_version": getattr(torch, "__version__", None)}, f, indent=2)
    return results


if __name__ == "__main__":
    main()
