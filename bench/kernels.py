"""Compiled kernels vs the best NumPy expression vs PyTorch, side by side in one run.

Usage::

    python bench/kernels.py [--threads N] [--quick] [--json PATH]

For every kernel and size this times our cpu backend call (validation,
allocation and kernel: what an op pays), every candidate NumPy expression
(the fastest one is reported as "numpy", and named), and PyTorch at the same
thread count when it imports.  Figures are medians over repeats.  Memory-bound
kernels report GB/s (bytes each pass must read and write), GEMM GFLOP/s.

Fresh output memory is expensive to touch for the first time on a VM (page
faults: tens of ms for 64 MiB), and every engine that returns a new array
pays it.  The ``(out=)`` rows time ReLU into a preallocated output to show
the kernel's own bandwidth next to ``copy`` (``numpy.copyto``), the
practical limit.

Our kernels use threads only for large inputs (>= 2**20 elements for the
elementwise and optimizer kernels, rows * cols >= 2**19 for the row kernels,
m*n*k >= 2**24 for gemm; see kernels/ag_common.h and kernels/gemm.pyx), so
on small sizes ``--threads 2`` and ``--threads 1`` should time the same.

``run(quick=False, threads=None) -> list[dict]`` returns figures in the
schema of :mod:`bench.common` (one per kernel, size and engine), so
``python -m bench kernels`` can collect them.
"""

import argparse
import os
import sys

if __package__ in (None, ""):  # ``python bench/kernels.py``: the repo root on the path
    # appended, not prepended: an installed autograd wins over the (maybe unbuilt) source tree
    sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

from bench.common import figure, measure, measure_interleaved, optional_import

SUITE = "kernels"


# ----------------------------------------------------------------------
# NumPy candidates (the best one is the baseline)
# ----------------------------------------------------------------------
def _numpy_relu(x):
    zero0 = np.zeros((), dtype=x.dtype)
    zeros = np.zeros_like(x)
    return {
        "maximum(x, 0)": lambda: np.maximum(x, 0),
        "maximum(x, zeros0d)": lambda: np.maximum(x, zero0),
        "maximum(x, zeros_like)": lambda: np.maximum(x, zeros),
        "x * (x > 0)": lambda: x * (x > 0),
        "clip(x, 0, None)": lambda: np.clip(x, 0, None),
    }


def _numpy_relu_backward(g, x):
    zero0 = np.zeros((), dtype=x.dtype)
    return {
        "g * (x > 0)": lambda: g * (x > 0),
        "where(x > 0, g, 0)": lambda: np.where(x > 0, g, zero0),
    }


def _numpy_softmax(x):
    def temporaries():
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def in_place():
        y = x - x.max(axis=1, keepdims=True)
        np.exp(y, out=y)
        y /= y.sum(axis=1, keepdims=True)
        return y

    out = {"exp(x - max) / sum": temporaries, "in-place exp, /=": in_place}
    special = optional_import("scipy.special")
    if special is not None:
        out["scipy.special.softmax"] = lambda: special.softmax(x, axis=1)
    return out


def _numpy_log_softmax(x):
    def temporaries():
        s = x - x.max(axis=1, keepdims=True)
        return s - np.log(np.exp(s).sum(axis=1, keepdims=True))

    def in_place():
        s = x - x.max(axis=1, keepdims=True)
        e = np.exp(s)
        s -= np.log(e.sum(axis=1, keepdims=True))
        return s

    out = {"s - log(sum(exp(s)))": temporaries, "in-place s -=": in_place}
    special = optional_import("scipy.special")
    if special is not None:
        out["scipy.special.log_softmax"] = lambda: special.log_softmax(x, axis=1)
    return out


def _numpy_softmax_backward(g, y):
    return {"y * (g - sum(g * y))": lambda: y * (g - (g * y).sum(axis=1, keepdims=True))}


def _numpy_cross_entropy(x, t):
    n = x.shape[0]
    rows = np.arange(n)

    def fwd_bwd():
        s = x - x.max(axis=1, keepdims=True)
        e = np.exp(s)
        sums = e.sum(axis=1, keepdims=True)
        loss = (np.log(sums[:, 0]) - s[rows, t]).mean()
        e /= sums
        e[rows, t] -= 1
        e *= 1.0 / n
        return loss, e

    return {"log-sum-exp, softmax - onehot": fwd_bwd}


def _numpy_adam(p, g, m, v, hp):
    b1, b2, lr, eps = hp["beta1"], hp["beta2"], hp["lr"], hp["eps"]
    tmp = np.empty_like(p)
    bc1 = 1 - b1 ** 10
    bc2s = (1 - b2 ** 10) ** 0.5

    def with_out():
        np.multiply(m, b1, out=m)
        np.multiply(g, 1 - b1, out=tmp)
        np.add(m, tmp, out=m)
        np.multiply(v, b2, out=v)
        np.multiply(g, g, out=tmp)
        np.multiply(tmp, 1 - b2, out=tmp)
        np.add(v, tmp, out=v)
        np.sqrt(v, out=tmp)
        np.divide(tmp, bc2s, out=tmp)
        np.add(tmp, eps, out=tmp)
        np.divide(m, tmp, out=tmp)
        np.multiply(tmp, -lr / bc1, out=tmp)
        np.add(p, tmp, out=p)

    def temporaries():
        m[...] = b1 * m + (1 - b1) * g
        v[...] = b2 * v + (1 - b2) * g * g
        p[...] -= (lr / bc1) * m / (np.sqrt(v) / bc2s + eps)

    return {"in-place with out=": with_out, "expressions": temporaries}


def _numpy_sgd(p, g, buf, hp):
    tmp = np.empty_like(p)
    mom, lr = hp["momentum"], hp["lr"]

    def with_out():
        np.multiply(buf, mom, out=buf)
        np.add(buf, g, out=buf)
        np.multiply(buf, -lr, out=tmp)
        np.add(p, tmp, out=p)

    return {"in-place with out=": with_out}


# ----------------------------------------------------------------------
# the suite
# ----------------------------------------------------------------------
def _derived(timing, bytes_moved=None, flops=None):
    out = {}
    if bytes_moved:
        out["GB/s"] = bytes_moved / timing["median"] / 1e9
    if flops:
        out["GFLOP/s"] = flops / timing["median"] / 1e9
    return out


def run(quick=False, threads=None, log=print):
    """Time every kernel against NumPy and PyTorch; returns a list of figure dicts.

    ``threads`` sets our kernels' and PyTorch's thread counts (NumPy's BLAS
    follows ``OPENBLAS_NUM_THREADS``/threadpoolctl, see :mod:`bench.common`).
    ``quick`` uses small sizes and few repeats (a smoke test, not a measurement).
    """
    import autograd._C as _C
    from autograd.backend import get_backend

    cpu = get_backend("cpu")
    torch = optional_import("torch")
    if threads is not None:
        _C.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
    nthreads = _C.get_num_threads()
    repeats = 3 if quick else 7
    min_time = 0.002 if quick else 0.05
    rng = np.random.default_rng(0)
    figures = []

    def add(name, size, ours, numpy_candidates, torch_fn=None, bytes_moved=None, flops=None,
            dtype="float32"):
        params = {"size": size, "dtype": dtype}
        candidates = dict(numpy_candidates or {})
        fns = [ours] + list(candidates.values()) + ([torch_fn] if torch_fn and torch else [])
        timings = measure_interleaved(fns, repeats=repeats, min_repeat_time=min_time)
        t_ours, t_numpy, t_torch = timings[0], timings[1:1 + len(candidates)], timings[1 + len(candidates):]
        figures.append(figure(SUITE, name, "ours", nthreads, t_ours, params,
                              _derived(t_ours, bytes_moved, flops)))
        if candidates:
            best = min(range(len(candidates)), key=lambda i: t_numpy[i]["median"])
            expr = list(candidates)[best]
            figures.append(figure(SUITE, name, "numpy", nthreads, t_numpy[best], params,
                                  _derived(t_numpy[best], bytes_moved, flops), note=f"best: {expr}"))
        if t_torch:
            figures.append(figure(SUITE, name, "torch", nthreads, t_torch[0], params,
                                  _derived(t_torch[0], bytes_moved, flops)))
        log(f"  {name} {size} done")

    def tt(a):
        return torch.from_numpy(a) if torch is not None else None

    elementwise_sizes = [(256, 1024), (1024, 1024)] if quick else [(256, 1024), (4096, 4096)]
    row_sizes = elementwise_sizes
    ce_sizes = [(128, 10), (512, 1000)] if quick else [(128, 10), (4096, 1000)]
    n_params = 100_000 if quick else 1_000_000
    gemm_shapes = [((128, 128), (128, 128), False, False, "128^3")] if quick else [
        ((512, 512), (512, 512), False, False, "512^3")]
    gemm_shapes += [
        ((64, 784), (128, 784), False, True, "MLP fwd x·Wᵀ (64,784)·(784,128)"),
        ((64, 128), (128, 784), False, False, "MLP bwd g·W (64,128)·(128,784)"),
        ((64, 128), (64, 784), True, False, "MLP bwd gᵀ·x (128,64)·(64,784)"),
    ]

    # memory bandwidth reference: a plain copy into a preallocated array
    for shape in elementwise_sizes:
        x = rng.standard_normal(shape, dtype=np.float32)
        o = np.empty_like(x)
        o.fill(0)
        t_copy = measure(lambda: np.copyto(o, x), repeats=repeats, min_repeat_time=min_time)
        figures.append(figure(SUITE, "copy (out=)", "numpy", nthreads, t_copy,
                              {"size": f"{shape}", "dtype": "float32"},
                              _derived(t_copy, 2 * x.nbytes)))

    for shape in elementwise_sizes:
        x = rng.standard_normal(shape, dtype=np.float32)
        g = rng.standard_normal(shape, dtype=np.float32)
        size = f"{shape}"
        tx, tg = tt(x), tt(g)
        add("relu_forward", size, lambda: cpu.relu_forward(x), _numpy_relu(x),
            (lambda: torch.relu(tx)) if torch is not None else None, bytes_moved=2 * x.nbytes)
        o = np.empty_like(x)
        o.fill(0)
        relu_kernel = _C.activations.relu_forward["float"]
        zero0 = np.zeros((), np.float32)
        to = tt(o)
        add("relu_forward (out=)", size, lambda: relu_kernel(x.reshape(-1), o.reshape(-1)),
            {"maximum(x, zeros0d, out=o)": lambda: np.maximum(x, zero0, out=o)},
            (lambda: torch.clamp_min(tx, 0, out=to)) if torch is not None else None,
            bytes_moved=2 * x.nbytes)
        add("relu_backward", size, lambda: cpu.relu_backward(g, x), _numpy_relu_backward(g, x),
            (lambda: torch.ops.aten.threshold_backward(tg, tx, 0)) if torch is not None else None,
            bytes_moved=3 * x.nbytes)

    for shape in row_sizes:
        x = (rng.standard_normal(shape, dtype=np.float32) * 5).astype(np.float32)
        g = rng.standard_normal(shape, dtype=np.float32)
        size = f"{shape}"
        tx, tg = tt(x), tt(g)
        add("softmax_forward", size, lambda: cpu.softmax_forward(x), _numpy_softmax(x),
            (lambda: torch.softmax(tx, 1)) if torch is not None else None, bytes_moved=2 * x.nbytes)
        add("log_softmax_forward", size, lambda: cpu.log_softmax_forward(x), _numpy_log_softmax(x),
            (lambda: torch.log_softmax(tx, 1)) if torch is not None else None,
            bytes_moved=2 * x.nbytes)
        y = cpu.softmax_forward(x)
        ty = tt(y)
        add("softmax_backward", size, lambda: cpu.softmax_backward(g, y),
            _numpy_softmax_backward(g, y),
            (lambda: torch.ops.aten._softmax_backward_data(tg, ty, 1, torch.float32))
            if torch is not None else None, bytes_moved=3 * x.nbytes)

    for shape in ce_sizes:
        x = (rng.standard_normal(shape, dtype=np.float32) * 3).astype(np.float32)
        t = rng.integers(0, shape[1], size=shape[0])
        one = np.ones((), np.float32)

        def ours_ce():
            loss, lse = cpu.cross_entropy_forward(x, t)
            return loss, cpu.cross_entropy_backward(one, x, t, lse)

        torch_fn = None
        if torch is not None:
            tx, tt_ = torch.from_numpy(x), torch.from_numpy(t)

            def torch_ce():
                xg = tx.detach().requires_grad_(True)
                loss = torch.nn.functional.cross_entropy(xg, tt_)
                loss.backward()
                return xg.grad

            torch_fn = torch_ce

        add("cross_entropy fwd+bwd", f"{shape}", ours_ce, _numpy_cross_entropy(x, t), torch_fn,
            bytes_moved=3 * x.nbytes)

    for shape in elementwise_sizes:
        x = (rng.standard_normal(shape, dtype=np.float32) * 4).astype(np.float32)
        tx = tt(x)
        special = optional_import("scipy.special")
        candidates = {"1 / (1 + exp(-x))": lambda: 1 / (1 + np.exp(-x))}
        if special is not None:
            candidates["scipy.special.expit"] = lambda: special.expit(x)
        add("sigmoid_forward", f"{shape}", lambda: cpu.sigmoid_forward(x), candidates,
            (lambda: torch.sigmoid(tx)) if torch is not None else None, bytes_moved=2 * x.nbytes)
        out = np.empty_like(x)
        add("exp_forward", f"{shape}", lambda: cpu.exp_forward(x),
            {"exp(x)": lambda: np.exp(x), "exp(x, out=o)": lambda: np.exp(x, out=out)},
            (lambda: torch.exp(tx)) if torch is not None else None, bytes_moved=2 * x.nbytes)

    hp = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)
    # the first layer of a 784-128-10 MLP: small enough to stay on one thread
    layer = rng.standard_normal((128, 784), dtype=np.float32)
    layer_g = rng.standard_normal((128, 784), dtype=np.float32)
    layer_m, layer_v = np.zeros_like(layer), np.zeros_like(layer)
    add("adam_step", "(128, 784) MLP layer",
        lambda: cpu.adam_step(layer, layer_g, layer_m, layer_v, 10, hp["lr"]),
        _numpy_adam(layer.copy(), layer_g, layer_m.copy(), layer_v.copy(), hp), None,
        bytes_moved=7 * layer.nbytes)
    p = rng.standard_normal(n_params, dtype=np.float32)
    grad = rng.standard_normal(n_params, dtype=np.float32)
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    torch_adam = None
    if torch is not None:
        tp = torch.nn.Parameter(torch.from_numpy(p.copy()))
        tp.grad = torch.from_numpy(grad.copy())
        try:
            opt = torch.optim.Adam([tp], lr=hp["lr"], fused=True)
            opt.step()
        except (RuntimeError, TypeError, ValueError):
            opt = torch.optim.Adam([tp], lr=hp["lr"], foreach=False)
        torch_adam = opt.step
    add("adam_step", f"{n_params:,} params", lambda: cpu.adam_step(p, grad, m, v, 10, hp["lr"]),
        _numpy_adam(p.copy(), grad, m.copy(), v.copy(), hp), torch_adam,
        bytes_moved=7 * p.nbytes)
    buf = np.zeros_like(p)
    torch_sgd = None
    if torch is not None:
        tp2 = torch.nn.Parameter(torch.from_numpy(p.copy()))
        tp2.grad = torch.from_numpy(grad.copy())
        opt2 = torch.optim.SGD([tp2], lr=0.01, momentum=0.9, foreach=False)
        torch_sgd = opt2.step
    add("sgd_step (momentum)", f"{n_params:,} params",
        lambda: cpu.sgd_step(p, grad, buf, 0.01, momentum=0.9),
        _numpy_sgd(p.copy(), grad, buf.copy(), dict(lr=0.01, momentum=0.9)), torch_sgd,
        bytes_moved=5 * p.nbytes)

    for shape_a, shape_b, trans_a, trans_b, label in gemm_shapes:
        a = rng.standard_normal(shape_a, dtype=np.float32)
        b = rng.standard_normal(shape_b, dtype=np.float32)
        a_op = a.T if trans_a else a
        b_op = b.T if trans_b else b
        flops = 2 * a_op.shape[0] * a_op.shape[1] * b_op.shape[1]
        ta, tb = tt(a_op), tt(b_op)
        add("gemm", label, lambda: cpu.gemm(a, b, trans_a, trans_b),
            {"matmul": lambda: np.matmul(a_op, b_op)},
            (lambda: torch.matmul(ta, tb)) if torch is not None else None, flops=flops)
    return figures


# ----------------------------------------------------------------------
# the table
# ----------------------------------------------------------------------
def render(figures):
    """The figures as a text table: one row per kernel and size."""
    rows = {}
    for f in figures:
        key = (f["name"], f["params"].get("size"), f["threads"])
        rows.setdefault(key, {})[f["engine"]] = f

    def ms(f):
        return f"{f['median'] * 1e3:9.3f}" if f else "        -"

    def ratio(a, b):
        return f"{a['median'] / b['median']:6.2f}x" if a and b else "      -"

    def rate(f):
        if not f:
            return "-"
        d = f["derived"]
        if "GFLOP/s" in d:
            return f"{d['GFLOP/s']:7.1f} GFLOP/s"
        if "GB/s" in d:
            return f"{d['GB/s']:7.1f} GB/s"
        return "-"

    header = (f"{'kernel':<24} {'size':<34} {'thr':>3} {'ours ms':>9} {'numpy ms':>9} "
              f"{'torch ms':>9} {'np/ours':>7} {'pt/ours':>7}  {'ours rate':<16} {'numpy rate':<16} "
              f"best numpy expression")
    lines = [header, "-" * len(header)]
    for (name, size, thr), engines in rows.items():
        ours, npf, tf = engines.get("ours"), engines.get("numpy"), engines.get("torch")
        lines.append(f"{name:<24} {size:<34} {thr:>3} {ms(ours)} {ms(npf)} {ms(tf)} "
                     f"{ratio(npf, ours):>7} {ratio(tf, ours):>7}  {rate(ours):<16} {rate(npf):<16} "
                     f"{(npf or {}).get('note', '')}")
    lines.append("np/ours, pt/ours > 1: ours is faster.  Medians over repeats; outputs allocated "
                 "per call unless the name says (out=).")
    return "\n".join(lines)


def main(argv=None):
    """``python bench/kernels.py [--threads N] [--quick] [--json PATH]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for our kernels and PyTorch (default: OpenMP's default)")
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if argv is None and args.threads and os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):
        # NumPy's BLAS reads its thread count only when it loads: restart the
        # process with every thread variable set, so NumPy runs with --threads too
        from bench.common import thread_env

        script = os.path.abspath(__file__)
        os.execve(sys.executable, [sys.executable, script] + sys.argv[1:], thread_env(args.threads))
    figures = run(quick=args.quick, threads=args.threads, log=lambda msg: None)
    print(render(figures))
    if args.json:
        import json

        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
