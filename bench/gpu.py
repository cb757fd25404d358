"""GPU benchmark: autograd's cuda device beside PyTorch CUDA, in the same run.

Usage::

    python bench/gpu.py [--quick | --smoke] [--json PATH] [--repeats N]

``--quick`` uses smaller sizes (about a minute); ``--smoke`` tiny ones, only to
check that the script runs (tests/test_cuda.py does that over a CuPy stand-in).

Measures, on the current CUDA device:

* device-to-device copy bandwidth (GB/s, bytes read + written), the yardstick
  for the memory-bound kernels;
* matmul at 4096^3 in float32 (TFLOP/s = 2 n^3 / t).  Both libraries run full
  float32 by default (PyTorch ``allow_tf32=False``, CuPy without
  ``CUPY_TF32=1``); PyTorch with TF32 on is printed as a note;
* softmax, log_softmax (forward and backward) and cross-entropy (forward and
  backward) over large rows, in GB/s of bytes read + written once, and as a
  fraction of the copy bandwidth (target: >= 50%);
* training throughput (samples/s) of the MLP 784-1024-1024-10 with Adam and
  cross-entropy at batch 512 and 4096 (target: our step time within 1.5x of
  PyTorch's at batch 4096).

Timing: warm-up calls first (kernel compilation, cuBLAS heuristics), then
``--repeats`` timed blocks of several calls each, bracketed by a device
synchronize; the median block time per call is reported.  ``--json`` writes
every figure (min, median, max, sizes, versions).

Example::

    python bench/gpu.py --quick --json bench/results/gpu.json
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy

# Running as `python bench/gpu.py` puts bench/ first on sys.path; make the
# repository root importable too, so the in-tree package is found.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import autograd as ag  # noqa: E402
import autograd.cuda  # noqa: E402,F401  (ag.cuda, also when __init__ does not import it)
from autograd.backend import get_backend  # noqa: E402


def _torch_cuda():
    """PyTorch if it is importable and sees a GPU, else None."""
    try:
        import torch
    except Exception:
        return None
    return torch if torch.cuda.is_available() else None


def measure(fn, sync, repeats, inner, warmup=3):
    """Seconds per call of ``fn``: ``repeats`` blocks of ``inner`` calls, synchronized.

    Returns ``dict(median=, min=, max=, repeats=, inner=)``.
    """
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        times.append((time.perf_counter() - start) / inner)
    return dict(median=statistics.median(times), min=min(times), max=max(times),
                repeats=repeats, inner=inner)


class Report:
    """Rows of (benchmark, size, unit, ours, torch) printed as a table and kept for JSON."""

    def __init__(self):
        self.rows = []

    def add(self, name, size, unit, ours, torch_value=None, ours_timing=None, torch_timing=None,
            note=""):
        row = dict(name=name, size=size, unit=unit, ours=ours, torch=torch_value,
                   ours_timing=ours_timing, torch_timing=torch_timing, note=note)
        self.rows.append(row)
        self._print_row(row)
        return row

    @staticmethod
    def header():
        print(f"{'benchmark':<38} {'size':<20} {'unit':<10} {'ours':>10} {'pytorch':>10} "
              f"{'ours/pt':>8}  note")
        print("-" * 114)

    @staticmethod
    def _fmt(value):
        if value is None:
            return "-"
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"

    def _print_row(self, row):
        ratio = ""
        if row["ours"] is not None and row["torch"]:
            ratio = f"{row['ours'] / row['torch']:.2f}"
        print(f"{row['name']:<38} {row['size']:<20} {row['unit']:<10} {self._fmt(row['ours']):>10} "
              f"{self._fmt(row['torch']):>10} {ratio:>8}  {row['note']}", flush=True)


def bench_copy(cp, torch, report, args):
    n = {"smoke": 1, "quick": 64, "full": 256}[args.size] * 1024 * 1024 // 4   # float32
    src = cp.ones(n, dtype=cp.float32)
    dst = cp.empty_like(src)
    nbytes = 2 * src.nbytes                               # read + write
    sync = cp.cuda.Device().synchronize
    t_ours = measure(lambda: dst.__setitem__(Ellipsis, src), sync, args.repeats, 10)
    t_torch = None
    if torch is not None:
        tsrc = torch.ones(n, device="cuda")
        tdst = torch.empty_like(tsrc)
        t_torch = measure(lambda: tdst.copy_(tsrc), torch.cuda.synchronize, args.repeats, 10)
    bw = nbytes / t_ours["median"] / 1e9
    report.add("copy device->device", f"{src.nbytes >> 20} MiB", "GB/s", bw,
               nbytes / t_torch["median"] / 1e9 if t_torch else None, t_ours, t_torch)
    return max(bw, nbytes / t_torch["median"] / 1e9 if t_torch else 0.0)


def bench_matmul(cp, torch, report, args):
    n = {"smoke": 256, "quick": 2048, "full": 4096}[args.size]
    rng = numpy.random.default_rng(0)
    a = ag.tensor(rng.standard_normal((n, n), dtype=numpy.float32), device="cuda")
    b = ag.tensor(rng.standard_normal((n, n), dtype=numpy.float32), device="cuda")
    backend = get_backend("cuda")
    flops = 2.0 * n ** 3
    sync = backend.synchronize
    t_ours = measure(lambda: a @ b, sync, args.repeats, 5)
    t_gemm = measure(lambda: backend.gemm(a._data, b._data, trans_b=True), sync, args.repeats, 5)
    t_torch = t_tf32 = None
    if torch is not None:
        ta = torch.from_numpy(backend.to_numpy(a._data)).cuda()
        tb = torch.from_numpy(backend.to_numpy(b._data)).cuda()
        previous = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = False
        t_torch = measure(lambda: ta @ tb, torch.cuda.synchronize, args.repeats, 5)
        torch.backends.cuda.matmul.allow_tf32 = True
        t_tf32 = measure(lambda: ta @ tb, torch.cuda.synchronize, args.repeats, 5)
        torch.backends.cuda.matmul.allow_tf32 = previous
    size = f"{n}x{n}x{n} f32"
    report.add("matmul a @ b", size, "TFLOP/s", flops / t_ours["median"] / 1e12,
               flops / t_torch["median"] / 1e12 if t_torch else None, t_ours, t_torch,
               "full fp32 both (no TF32)")
    report.add("gemm a @ b.T (trans flag)", size, "TFLOP/s", flops / t_gemm["median"] / 1e12,
               None, t_gemm)
    if t_tf32:
        report.add("  pytorch with TF32 (reference)", size, "TFLOP/s", None,
                   flops / t_tf32["median"] / 1e12, None, t_tf32, "allow_tf32=True")


def bench_row_kernels(cp, torch, report, args, copy_bw):
    backend = get_backend("cuda")
    sync = backend.synchronize
    rows, cols = {"smoke": (64, 4096), "quick": (4096, 4096), "full": (16384, 4096)}[args.size]
    rng = numpy.random.default_rng(1)
    host = rng.standard_normal((rows, cols), dtype=numpy.float32)
    x = cp.asarray(host)
    g = cp.asarray(rng.standard_normal((rows, cols), dtype=numpy.float32))
    y = backend.softmax_forward(x)
    ly = backend.log_softmax_forward(x)
    nb = x.nbytes
    size = f"{rows}x{cols} f32"
    tx = tg = ty = tly = None
    if torch is not None:
        tx = torch.from_numpy(host).cuda()
        tg = torch.from_numpy(cp.asnumpy(g)).cuda()
        ty = torch.softmax(tx, -1)
        tly = torch.log_softmax(tx, -1)
    aten = torch.ops.aten if torch is not None else None
    cases = [
        ("softmax forward", 2 * nb, lambda: backend.softmax_forward(x),
         (lambda: torch.softmax(tx, -1)) if torch else None),
        ("softmax backward", 3 * nb, lambda: backend.softmax_backward(g, y),
         (lambda: aten._softmax_backward_data(tg, ty, -1, torch.float32)) if torch else None),
        ("log_softmax forward", 2 * nb, lambda: backend.log_softmax_forward(x),
         (lambda: torch.log_softmax(tx, -1)) if torch else None),
        ("log_softmax backward", 3 * nb, lambda: backend.log_softmax_backward(g, ly),
         (lambda: aten._log_softmax_backward_data(tg, tly, -1, torch.float32)) if torch else None),
    ]
    # cross-entropy over many rows of 1000 classes (an ImageNet-sized head)
    n, c = {"smoke": (256, 1000), "quick": (16384, 1000), "full": (65536, 1000)}[args.size]
    logits_host = rng.standard_normal((n, c), dtype=numpy.float32)
    target_host = rng.integers(0, c, size=n)
    logits = cp.asarray(logits_host)
    target = cp.asarray(target_host)
    loss, lse = backend.cross_entropy_forward(logits, target)
    one = cp.asarray(1.0, dtype=cp.float32)
    lb = logits.nbytes
    tl = tt = None
    if torch is not None:
        tl = torch.from_numpy(logits_host).cuda().requires_grad_()
        tt = torch.from_numpy(target_host).cuda()
        tloss = torch.nn.functional.cross_entropy(tl, tt)
    cases += [
        ("cross_entropy forward", lb + 8 * n + 8 * n,
         lambda: backend.cross_entropy_forward(logits, target),
         (lambda: torch.nn.functional.cross_entropy(tl, tt)) if torch else None),
        ("cross_entropy backward", 2 * lb + 8 * n + 4 * n,
         lambda: backend.cross_entropy_backward(one, logits, target, lse),
         (lambda: torch.autograd.grad(tloss, tl, retain_graph=True)) if torch else None),
    ]
    per_row = cp.empty((n,), dtype=cp.float32)
    lse_out = cp.empty((n,), dtype=cp.float32)

    def ce_forward_kernel_only():
        # the fused kernel without the class-index check (a reduction and a host sync)
        # and the mean reduction that the full call adds
        backend._launch_rows("cross_entropy_forward", logits.dtype, n, c,
                             (logits, target, per_row, lse_out, numpy.int64(c),
                              numpy.int64(-100), numpy.float32(0.0)), 1)

    cases.append(("  cross_entropy forward, kernel only", lb + 8 * n + 8 * n,
                  ce_forward_kernel_only, None))
    for name, nbytes, ours, theirs in cases:
        t_ours = measure(ours, sync, args.repeats, 10)
        t_torch = measure(theirs, torch.cuda.synchronize, args.repeats, 10) if theirs else None
        bw = nbytes / t_ours["median"] / 1e9
        case_size = size if "softmax" in name else f"{n}x{c} f32"
        report.add(name, case_size, "GB/s", bw,
                   nbytes / t_torch["median"] / 1e9 if t_torch else None, t_ours, t_torch,
                   f"{100 * bw / copy_bw:.0f}% of copy")


def _make_mlp(device):
    nn = ag.nn
    return nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                         nn.Linear(1024, 10)).to(device)


def bench_mlp(cp, torch, report, args):
    F = ag.nn.functional
    backend = get_backend("cuda")
    for batch in ((16, 64) if args.size == "smoke" else (512, 4096)):
        steps = {"smoke": 1, "quick": 10, "full": 20}[args.size]
        rng = numpy.random.default_rng(2)
        xh = rng.standard_normal((batch, 784), dtype=numpy.float32)
        yh = rng.integers(0, 10, size=batch)
        ag.manual_seed(0)
        model = _make_mlp("cuda")
        opt = ag.optim.Adam(model.parameters(), lr=1e-3)
        x = ag.tensor(xh, device="cuda")
        y = ag.tensor(yh, device="cuda")

        def ours_step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()

        warmup = 1 if args.size == "smoke" else 5
        t_ours = measure(ours_step, backend.synchronize, args.repeats, steps, warmup=warmup)
        t_torch = None
        if torch is not None:
            tnn = torch.nn
            torch.manual_seed(0)
            tmodel = tnn.Sequential(tnn.Linear(784, 1024), tnn.ReLU(), tnn.Linear(1024, 1024),
                                    tnn.ReLU(), tnn.Linear(1024, 10)).cuda()
            topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
            tx = torch.from_numpy(xh).cuda()
            ty = torch.from_numpy(yh).cuda()

            def torch_step():
                topt.zero_grad()
                loss = torch.nn.functional.cross_entropy(tmodel(tx), ty)
                loss.backward()
                topt.step()

            t_torch = measure(torch_step, torch.cuda.synchronize, args.repeats, steps,
                              warmup=warmup)
        note = f"step {t_ours['median'] * 1e3:.2f} ms"
        if t_torch:
            note += (f" vs {t_torch['median'] * 1e3:.2f} ms "
                     f"({t_ours['median'] / t_torch['median']:.2f}x pytorch's time)")
        report.add("MLP 784-1024-1024-10 Adam+CE", f"batch {batch}", "samples/s",
                   batch / t_ours["median"],
                   batch / t_torch["median"] if t_torch else None, t_ours, t_torch, note)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, one repeat: checks that the script runs "
                             "(measures nothing)")
    parser.add_argument("--json", metavar="PATH", help="write every figure to PATH")
    parser.add_argument("--repeats", type=int, default=None, help="timed blocks per figure")
    args = parser.parse_args(argv)
    args.size = "smoke" if args.smoke else "quick" if args.quick else "full"
    if args.repeats is None:
        args.repeats = {"smoke": 1, "quick": 3, "full": 7}[args.size]

    if not ag.cuda.is_available():
        print(f"bench/gpu.py: no usable CUDA device: {ag.cuda.unavailable_reason()}",
              file=sys.stderr)
        return 2
    import cupy as cp
    torch = _torch_cuda()
    device_name = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)["name"]
    if isinstance(device_name, bytes):
        device_name = device_name.decode()
    print(f"GPU: {device_name}; CuPy {cp.__version__}; "
          f"PyTorch {torch.__version__ if torch else 'not available on the GPU'}"
          f" ({args.size} sizes)")
    report = Report()
    report.header()
    copy_bw = bench_copy(cp, torch, report, args)
    bench_matmul(cp, torch, report, args)
    bench_row_kernels(cp, torch, report, args, copy_bw)
    bench_mlp(cp, torch, report, args)

    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        meta = dict(device=device_name, cupy=cp.__version__,
                    torch=torch.__version__ if torch else None, numpy=numpy.__version__,
                    python=platform.python_version(), size=args.size, repeats=args.repeats,
                    copy_bandwidth_gbs=copy_bw)
        with open(args.json, "w") as f:
            json.dump(dict(meta=meta, results=report.rows), f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
