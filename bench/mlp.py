"""MLP training benchmark: ours vs PyTorch vs a hand-written NumPy floor, side by side.

For each model (784-128-10 and 784-512-512-10, ReLU, softmax cross-entropy,
Adam lr=1e-3) and batch size (32, 64, 128, 256), every engine trains from the
same initial weights on the same batches, in the same process and thread
count:

* ``ours``        -- ``autograd.nn`` + ``autograd.optim.Adam`` + ``F.cross_entropy``
* ``numpy``       -- :mod:`bench.numpy_mlp`, manual backprop, no autograd (the floor
  for any NumPy-based engine)
* ``torch``       -- ``torch.optim.Adam`` default (foreach) implementation
* ``torch-fused`` -- ``torch.optim.Adam(fused=True)``

Each repeat times ``steps`` consecutive training steps (one epoch of the
training set for the small model in a full run); engines take turns repeat by
repeat, so a burst of load from elsewhere on the machine hits all of them.
Batches are sliced from one pre-shuffled float32 array before timing, so data
loading is not timed for anyone.  Reported: samples/s and seconds per
60,000-sample epoch (from the median), ratios, and the *physical floor*: the
step's GEMM FLOPs divided by the best GEMM rate measured in the run (a 1024^3
product or one of the step's own, NumPy or PyTorch, whichever is fastest),
with the FLOP count per step.  The *shape floor* beside it times each of the
step's GEMMs at its own shape and layout (the fastest repeat of NumPy and
PyTorch): small and skinny products run well below the best rate, so this is
what an engine built on these BLAS libraries can actually approach.

A phase breakdown (forward+loss, zero_grad+backward, optimizer step) is
timed separately at one batch size, step by step.

Example::

    >>> figs = run(quick=True, threads=1)          # doctest: +SKIP
    >>> print(render(figs))                        # doctest: +SKIP
"""

import gzip
import os
import statistics
import sys
import time

import numpy as np

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    # appended, not prepended: an installed autograd wins over the (maybe unbuilt) source tree
    sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import (collect_garbage, figure, fmt_num, fmt_ratio, fmt_time, measure,
                          optional_import, import_error, table)
from bench.numpy_mlp import NumpyMLP, init_linear_layers

SUITE = "mlp"
MODELS = {
    "784-128-10": [784, 128, 10],
    "784-512-512-10": [784, 512, 512, 10],
}
BATCHES = (32, 64, 128, 256)
ENGINES = ("ours", "numpy", "torch", "torch-fused")
EPOCH_SAMPLES = 60000
FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)
LR = 1e-3

# ----------------------------------------------------------------------
# data
# ----------------------------------------------------------------------


def _read_idx(path):
    """A minimal IDX reader (gzip or raw) for uint8 images/labels; raises ValueError on junk."""
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not a uint8 IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims}, file holds {data.size} values")
    return data.reshape(dims)


def _find_pair(directory, prefix):
    for suffix in (".gz", ""):
        img = os.path.join(directory, f"{prefix}-images-idx3-ubyte{suffix}")
        lab = os.path.join(directory, f"{prefix}-labels-idx1-ubyte{suffix}")
        if os.path.exists(img) and os.path.exists(lab):
            return img, lab
    return None


def load_data():
    """Training images as float32 (N, 784), standardised, labels int64, and where they came from.

    Order of preference: Fashion-MNIST (Debian's ``dataset-fashion-mnist``,
    or ``BENCH_DATA_DIR``), full MNIST through ``autograd.data.MNIST`` when
    its files are present, else the MNIST test-set sample bundled with the
    package (10,000 images; epochs then repeat it to reach the step count).
    """
    candidates = []
    if os.environ.get("BENCH_DATA_DIR"):
        candidates.append((os.environ["BENCH_DATA_DIR"], "train", "BENCH_DATA_DIR"))
    candidates += [(d, "train", "Fashion-MNIST train") for d in FASHION_MNIST_DIRS]
    images = labels = None
    source = None
    for directory, prefix, name in candidates:
        pair = _find_pair(directory, prefix)
        if pair:
            images, labels = _read_idx(pair[0]), _read_idx(pair[1])
            source = f"{name} ({directory}, {len(labels)} images)"
            break
    if images is None:
        data_mod = optional_import("autograd.data")
        if data_mod is not None and hasattr(data_mod, "MNIST"):
            try:
                ds = data_mod.MNIST(train=True)
                arrays = [getattr(t, "_data", t) for t in (ds.data, ds.targets)]
                images, labels = np.asarray(arrays[0]), np.asarray(arrays[1])
                source = f"MNIST train via autograd.data ({len(labels)} images)"
            except Exception:
                images = None
    if images is None:
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        pair = _find_pair(os.path.join(here, "autograd", "datasets"), "t10k")
        if pair is None:
            raise FileNotFoundError("mlp benchmark: no data found (Fashion-MNIST in "
                                    f"{FASHION_MNIST_DIRS[0]}, MNIST, or autograd/datasets/)")
        images, labels = _read_idx(pair[0]), _read_idx(pair[1])
        source = f"bundled MNIST sample ({pair[0]}, {len(labels)} images)"
    x = images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)
    x -= x.mean()
    x /= x.std()
    return np.ascontiguousarray(x, dtype=np.float32), labels.astype(np.int64), source


def epoch_batches(x, y, batch, steps, seed=0):
    """``steps`` batches of ``batch`` rows from one fixed shuffle (views, no copies).

    The shuffled copy is made once; when ``steps * batch`` exceeds the data,
    the batch list cycles over it (a second epoch).
    """
    order = np.random.default_rng(seed).permutation(len(x))
    xs = np.ascontiguousarray(x[order])
    ys = np.ascontiguousarray(y[order])
    per_epoch = len(xs) // batch
    if per_epoch == 0:
        raise ValueError(f"mlp benchmark: batch {batch} is larger than the data ({len(xs)} rows)")
    unique = [(xs[i * batch:(i + 1) * batch], ys[i * batch:(i + 1) * batch])
              for i in range(min(per_epoch, steps))]
    return [unique[i % len(unique)] for i in range(steps)]


# ----------------------------------------------------------------------
# engines
# ----------------------------------------------------------------------


class NumpyEngine:
    """Adapter of :class:`bench.numpy_mlp.NumpyMLP` to the engine interface."""

    name = "numpy"

    def __init__(self, layers):
        self.net = NumpyMLP(layers, lr=LR)
        self.train_step = self.net.train_step

    @staticmethod
    def convert(batches):
        return batches

    def phases(self):
        net = self.net
        state = {}

        def forward(x, t):
            net.forward_loss(x, t)
            state["x"] = x

        def backward():
            net.backward(state.pop("x"))

        return forward, backward, net._adam

    def loss(self, x, t):
        return self.net.loss(x, t)


class TorchEngine:
    """Adapter of :class:`bench.torch_mlp.TorchMLP` (default or fused Adam)."""

    def __init__(self, layers, fused=False):
        from bench.torch_mlp import TorchMLP

        self.net = TorchMLP(layers, lr=LR, fused=fused)
        self.name = "torch-fused" if fused else "torch"
        self.train_step = self.net.train_step

    def convert(self, batches):
        return [self.net.batch(x, t) for x, t in batches]

    def phases(self):
        return self.net.phases()

    def loss(self, x, t):
        return self.net.loss(x, t)


class OursEngine:
    """Our library, used the way a PyTorch user would write the loop."""

    name = "ours"

    def __init__(self, layers):
        import autograd as ag

        self.ag = ag
        nn = ag.nn
        modules = []
        for i, (w, b) in enumerate(layers):
            lin = nn.Linear(w.shape[1], w.shape[0])
            with ag.no_grad():
                lin.weight.copy_(ag.tensor(w))
                lin.bias.copy_(ag.tensor(b))
            modules.append(lin)
            if i != len(layers) - 1:
                modules.append(nn.ReLU())
        self.model = nn.Sequential(*modules)
        self.optimizer = ag.optim.Adam(self.model.parameters(), lr=LR)
        self.cross_entropy = nn.functional.cross_entropy

    def _wrap(self, array):
        ag = self.ag
        from_numpy = getattr(ag, "from_numpy", None)
        if from_numpy is not None:
            return from_numpy(array)
        make = getattr(ag.Tensor, "_make", None)
        if make is not None:  # the documented zero-copy internal constructor
            from autograd.backend import get_backend
            return make(array, get_backend("cpu"))
        return ag.tensor(array)

    def convert(self, batches):
        return [(self._wrap(x), self._wrap(t)) for x, t in batches]

    def train_step(self, x, target):
        opt = self.optimizer
        opt.zero_grad()
        loss = self.cross_entropy(self.model(x), target)
        loss.backward()
        opt.step()
        return loss

    def phases(self):
        model, opt, ce = self.model, self.optimizer, self.cross_entropy
        state = {}

        def forward(x, t):
            state["loss"] = ce(model(x), t)

        def backward():
            opt.zero_grad()
            state.pop("loss").backward()

        return forward, backward, opt.step

    def loss(self, x, t):
        ag = self.ag
        with ag.no_grad():
            return float(self.cross_entropy(self.model(self._wrap(x)), self._wrap(t)).item())


def available_engines(wanted=ENGINES):
    """``{name: factory(layers)}`` for the engines that can run here, and notes for the others."""
    factories, notes = {}, []
    for name in wanted:
        if name == "numpy":
            factories[name] = NumpyEngine
        elif name in ("torch", "torch-fused"):
            if optional_import("torch") is None:
                notes.append(f"{name}: skipped, PyTorch is not importable ({import_error('torch')})")
            else:
                factories[name] = (lambda layers, fused=(name == "torch-fused"): TorchEngine(layers, fused))
        elif name == "ours":
            ag = optional_import("autograd")
            missing = [m for m in ("nn", "optim") if ag is not None and not hasattr(ag, m)]
            if ag is None:
                notes.append(f"ours: skipped, autograd is not importable ({import_error('autograd')})")
            elif missing or not hasattr(getattr(ag, "nn", None), "functional"):
                notes.append(f"ours: skipped, autograd lacks {', '.join(missing) or 'nn.functional'}")
            else:
                factories[name] = OursEngine
        else:
            raise ValueError(f"mlp benchmark: unknown engine {name!r}; expected one of {', '.join(ENGINES)}")
    return factories, notes


# ----------------------------------------------------------------------
# the physical floor: the step's GEMMs at the best measured rate
# ----------------------------------------------------------------------


def step_gemms(sizes, batch):
    """The GEMMs of one training step as ``(label, m, k, n)`` with FLOPs ``2 m k n`` each.

    Per layer (in -> out): forward ``X (N,in) @ W^T``, weight gradient
    ``dZ^T (out,N) @ X``, and input gradient ``dZ @ W`` (not for the first
    layer, whose input needs no gradient).
    """
    gemms = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        gemms.append((f"fwd {batch}x{fan_in}.{fan_in}x{fan_out}", batch, fan_in, fan_out, "nt"))
        gemms.append((f"dW {fan_out}x{batch}.{batch}x{fan_in}", fan_out, batch, fan_in, "tn"))
        if i > 0:
            gemms.append((f"dX {batch}x{fan_out}.{fan_out}x{fan_in}", batch, fan_out, fan_in, "nn"))
    return gemms


def flops_of(gemm_detail):
    """FLOPs of one entry of :func:`gemm_floor`'s details."""
    return 2 * gemm_detail["m"] * gemm_detail["k"] * gemm_detail["n"]


def step_flops(sizes, batch):
    """GEMM floating-point operations of one training step (elementwise work not counted)."""
    return sum(2 * m * k * n for _, m, k, n, _ in step_gemms(sizes, batch))


def measure_gemm(m, k, n, layout, repeats, min_time, torch=None):
    """Best time of one ``(m,k)@(k,n)`` product in the layout the step uses, NumPy and PyTorch."""
    rng = np.random.default_rng(1)
    # operands stored the way the step holds them: "nt" = A @ B^T, "tn" = A^T @ B
    a_store = rng.standard_normal((k, m) if layout == "tn" else (m, k), dtype=np.float32)
    b_store = rng.standard_normal((n, k) if layout == "nt" else (k, n), dtype=np.float32)
    a = a_store.T if layout == "tn" else a_store
    b = b_store.T if layout == "nt" else b_store
    out = np.zeros((m, n), dtype=np.float32)
    best = {"numpy": measure(lambda: np.matmul(a, b, out=out), repeats=repeats, min_repeat_time=min_time)}
    if torch is not None:
        ta, tb, tout = torch.from_numpy(a_store), torch.from_numpy(b_store), torch.from_numpy(out)
        ta = ta.T if layout == "tn" else ta
        tb = tb.T if layout == "nt" else tb
        best["torch"] = measure(lambda: torch.mm(ta, tb, out=tout), repeats=repeats, min_repeat_time=min_time)
    return best


_BEST_RATE = {}


def best_gemm_rate(repeats, min_time, n=1024):
    """The best fp32 GEMM rate this process can show, in FLOP/s: max over NumPy and PyTorch at n^3.

    Measured once per process (the thread count is fixed per process).
    Returns ``(flop_per_s, description)``.
    """
    if n not in _BEST_RATE:
        timings = measure_gemm(n, n, n, "nn", repeats, min_time, optional_import("torch"))
        who = min(timings, key=lambda e: timings[e]["min"])
        _BEST_RATE[n] = (2 * n ** 3 / timings[who]["min"], f"{who} at {n}^3")
    return _BEST_RATE[n]


def gemm_floor(sizes, batch, repeats, min_time):
    """Seconds per step the GEMMs need at the best measured rate, with per-GEMM details.

    Each GEMM's time is the fastest repeat of NumPy and PyTorch at its exact
    shape and layout (the best the machine has shown, as a floor should be).
    """
    torch = optional_import("torch")
    total = 0.0
    details = []
    for label, m, k, n, layout in step_gemms(sizes, batch):
        timings = measure_gemm(m, k, n, layout, repeats, min_time, torch)
        # a floor is the best the machine has shown: the fastest repeat of the faster library
        who = min(timings, key=lambda e: timings[e]["min"])
        t = timings[who]["min"]
        total += t
        details.append({"gemm": label, "m": m, "k": k, "n": n, "best": who, "seconds": t,
                        "gflops": 2 * m * k * n / t / 1e9,
                        "medians": {e: r["median"] for e, r in timings.items()},
                        "mins": {e: r["min"] for e, r in timings.items()}})
    return total, details


# ----------------------------------------------------------------------
# the suite
# ----------------------------------------------------------------------


def _steps_for(model, batch, quick, samples=None):
    if samples is None:
        if quick:
            samples = 64 * 12
        else:
            samples = EPOCH_SAMPLES if model == "784-128-10" else EPOCH_SAMPLES // 4
    return max(1, samples // batch)


def _time_engines(engines, batches_by_engine, steps, repeats, warmup_steps):
    """Round-robin timing: each repeat runs every engine for ``steps`` steps in turn."""
    times = {name: [] for name in engines}
    for name, eng in engines.items():
        b = batches_by_engine[name]
        for i in range(warmup_steps):
            eng.train_step(*b[i % len(b)])
    for _ in range(repeats):
        for name, eng in engines.items():
            b = batches_by_engine[name]
            step = eng.train_step
            collect_garbage()
            t0 = time.perf_counter()
            for i in range(steps):
                step(*b[i])
            times[name].append(time.perf_counter() - t0)
    return times


def _time_phases(eng, batches, steps, warmup_steps):
    """Median seconds of forward+loss, zero_grad+backward and optimizer step, timed step by step."""
    forward, backward, opt_step = eng.phases()
    clock = time.perf_counter
    f, bw, o = [], [], []
    for i in range(warmup_steps + steps):
        x, t = batches[i % len(batches)]
        t0 = clock()
        forward(x, t)
        t1 = clock()
        backward()
        t2 = clock()
        opt_step()
        t3 = clock()
        if i >= warmup_steps:
            f.append(t1 - t0)
            bw.append(t2 - t1)
            o.append(t3 - t2)
    return {"forward": statistics.median(f), "backward": statistics.median(bw),
            "optimizer": statistics.median(o)}


def run(quick=False, threads=None, models=None, batches=None, engines=ENGINES + ("floor",), repeats=None,
        samples=None, breakdown_batch=64, log=None):
    """Run the MLP suite in this process and return its figures (see :mod:`bench.common`).

    Args:
        quick: a smoke run (batch 64 only, a dozen steps, one repeat).
        threads: the thread count this process runs with (recorded in each
            figure; the caller sets it, see :class:`bench.common.ThreadLimits`).
        models, batches, engines: subsets of :data:`MODELS`, :data:`BATCHES`, :data:`ENGINES`.
        repeats: timed repeats per figure (default 3, quick 1).
        samples: samples per repeat (default: one 60k epoch for the small
            model, a quarter of one for the large; quick: 768).
        breakdown_batch: batch size of the phase breakdown (None to skip).
        log: ``print``-like function for progress (default: stderr).
    """
    log = log or (lambda *a: print(*a, file=sys.stderr, flush=True))
    models = list(models or MODELS)
    batches = list(batches or ((64,) if quick else BATCHES))
    repeats = repeats or (1 if quick else 3)
    warmup_steps = 3 if quick else 20
    gemm_repeats, gemm_min_time = (3, 0.002) if quick else (7, 0.02)
    with_floor = "floor" in engines
    factories, notes = available_engines(tuple(e for e in engines if e != "floor"))
    x_all, y_all, source = load_data()
    figures = []
    for note in notes:
        log("note: " + note)
        figures.append({"suite": SUITE, "name": "note", "engine": None, "threads": threads,
                        "params": {}, "note": note})
    for model in models:
        if model not in MODELS:
            raise ValueError(f"mlp benchmark: unknown model {model!r}; expected one of {', '.join(MODELS)}")
        sizes = MODELS[model]
        layers = init_linear_layers(sizes, np.random.default_rng(0))
        for batch in batches:
            steps = _steps_for(model, batch, quick, samples)
            data = epoch_batches(x_all, y_all, batch, steps)
            params = {"model": model, "batch": batch, "steps": steps, "samples": steps * batch,
                      "data": source, "optimizer": "Adam(lr=1e-3)", "loss": "cross_entropy"}
            log(f"mlp {model} batch {batch}: {steps} steps x {repeats} repeats, "
                f"engines {', '.join(list(factories) + (['floor'] if with_floor else []))}")
            equivalence = {name: check_equivalence(make, layers, data) for name, make in factories.items()}
            for name, (ok, detail) in equivalence.items():
                if not ok:
                    log(f"WARNING: {name}: {detail}")
            engines_here = {name: make(layers) for name, make in factories.items()}
            converted = {name: eng.convert(data) for name, eng in engines_here.items()}
            times = _time_engines(engines_here, converted, steps, repeats, warmup_steps)
            for name, ts in times.items():
                timing = {"min": min(ts), "median": statistics.median(ts), "max": max(ts),
                          "repeats": repeats, "number": 1, "times": ts}
                med = timing["median"]
                derived = {"samples_per_s": steps * batch / med,
                           "seconds_per_epoch": med * EPOCH_SAMPLES / (steps * batch),
                           "seconds_per_step": med / steps,
                           "equivalent_to_numpy": equivalence[name][0],
                           "equivalence_check": equivalence[name][1]}
                figures.append(figure(SUITE, f"train {model}", name, threads, timing, params, derived))
            if with_floor:
                shape_floor_step, details = gemm_floor(sizes, batch, gemm_repeats, gemm_min_time)
                flops = step_flops(sizes, batch)
                rate, rate_how = best_gemm_rate(gemm_repeats, gemm_min_time, 512 if quick else 1024)
                rate = max([rate] + [flops_of(d) / d["seconds"] for d in details])
                floor_step = flops / rate
                floor_timing = {"min": floor_step * steps, "median": floor_step * steps,
                                "max": floor_step * steps, "repeats": gemm_repeats, "number": 1}
                figures.append(figure(SUITE, f"train {model}", "floor", threads, floor_timing, params, {
                    "samples_per_s": batch / floor_step,
                    "seconds_per_epoch": floor_step * EPOCH_SAMPLES / batch,
                    "seconds_per_step": floor_step,
                    "flops_per_step": flops,
                    "best_gemm_gflops": rate / 1e9,
                    "best_gemm_how": rate_how,
                    "shape_floor_seconds_per_step": shape_floor_step,
                    "shape_floor_seconds_per_epoch": shape_floor_step * EPOCH_SAMPLES / batch,
                    "shape_floor_gflops": flops / shape_floor_step / 1e9,
                    "gemms": details,
                }, note="the step's GEMM FLOPs at the best GEMM rate measured in this run; the shape floor "
                        "times each GEMM at its own shape"))
            if breakdown_batch == batch or (quick and breakdown_batch is not None):
                phase_steps = 10 if quick else 200
                for name, eng in engines_here.items():
                    ph = _time_phases(eng, converted[name], phase_steps, warmup_steps)
                    for phase, secs in ph.items():
                        figures.append(figure(SUITE, f"phase {model}", name, threads,
                                              {"min": secs, "median": secs, "max": secs,
                                               "repeats": phase_steps, "number": 1},
                                              {**params, "phase": phase}, {"microseconds": secs * 1e6}))
            del engines_here, converted, data
            collect_garbage()
    return figures


def check_equivalence(make, layers, batches, steps=8, rtol=2e-3):
    """Train a fresh ``make(layers)`` and the NumPy floor for ``steps`` steps on the same batches.

    Returns ``(ok, detail)``: ``ok`` when the two losses on the first batch
    then agree within ``rtol`` (float32 rounding only; the trajectories of
    two correct trainers drift apart chaotically over thousands of steps, so
    the check is short and runs before the timing).
    """
    ref, eng = NumpyEngine(layers), make(layers)
    own = eng.convert(batches[:steps])
    for i in range(min(steps, len(batches))):
        ref.train_step(*batches[i])
        eng.train_step(*own[i])
    x, t = batches[0]
    want, got = ref.loss(x, t), eng.loss(x, t)
    ok = bool(np.isfinite(got) and abs(got - want) <= rtol * max(abs(want), 1e-6))
    return ok, f"loss after {steps} steps {got:.6f} vs NumPy floor {want:.6f}"


# ----------------------------------------------------------------------
# rendering
# ----------------------------------------------------------------------


def render(figures):
    """The suite's figures as text tables: throughput with ratios, and the phase breakdown."""
    out = []
    train = [f for f in figures if f.get("suite") == SUITE and str(f.get("name", "")).startswith("train ")]
    notes = [f["note"] for f in figures if f.get("suite") == SUITE and f.get("name") == "note"]
    rows_by_key = {}
    for f in train:
        p = f["params"]
        key = (p["model"], p["batch"], f["threads"])
        rows_by_key.setdefault(key, {})[f["engine"]] = f
    engines = [e for e in ENGINES + ("floor",) if any(e in r for r in rows_by_key.values())]
    if rows_by_key:
        headers = ["model", "batch", "thr"] + [f"{e} /s" for e in engines]
        ratio_cols = []
        if "ours" in engines:
            for base in ("torch", "torch-fused"):
                if base in engines:
                    ratio_cols.append((f"ours/{base}", base, "speed"))
            if "numpy" in engines:
                ratio_cols.append(("ours time/numpy", "numpy", "time"))
            if "floor" in engines:
                ratio_cols.append(("ours time/floor", "floor", "time"))
        elif "numpy" in engines and "torch" in engines:
            ratio_cols.append(("numpy/torch", "torch", "speed-numpy"))
        headers += [c[0] for c in ratio_cols]
        rows, epoch_rows = [], []
        ordered = sorted(rows_by_key.items(), key=lambda kv: (
            list(MODELS).index(kv[0][0]) if kv[0][0] in MODELS else 99, kv[0][2], kv[0][1]))
        for (model, batch, thr), row in ordered:
            sps = {e: row[e]["derived"]["samples_per_s"] for e in row}
            cells = [model, batch, thr] + [fmt_num(sps.get(e)) for e in engines]
            for _, base, kind in ratio_cols:
                if kind == "speed":
                    r = sps["ours"] / sps[base] if "ours" in sps and base in sps else None
                elif kind == "time":
                    r = sps[base] / sps["ours"] if "ours" in sps and base in sps else None
                else:
                    r = sps["numpy"] / sps[base] if "numpy" in sps and base in sps else None
                cells.append(fmt_ratio(r))
            rows.append(cells)
            floor = row.get("floor", {}).get("derived", {})
            epoch_rows.append([model, batch, thr]
                              + [f"{row[e]['derived']['seconds_per_epoch']:.3f}" if e in row else "-"
                                 for e in engines]
                              + [f"{floor['shape_floor_seconds_per_epoch']:.3f}" if floor else "-",
                                 f"{floor['flops_per_step'] / 1e9:.4f}" if floor else "-",
                                 f"{floor['best_gemm_gflops']:.1f}" if floor else "-"])
        out.append(table(headers, rows, title="MLP training, Adam + cross-entropy: samples/s (median; higher is "
                                              "better) and ratios (> 1 means ours is better)",
                         aligns="l" + "r" * (len(headers) - 1)))
        out.append(table(["model", "batch", "thr"] + [f"{e} s" for e in engines]
                         + ["shape floor s", "GFLOP/step", "best GEMM GFLOP/s"],
                         epoch_rows, title="Seconds per 60,000-sample epoch (median).  floor = the step's GEMM "
                                           "FLOPs at the best GEMM rate measured; shape floor = each GEMM "
                                           "timed at its own shape (small GEMMs run below the best rate)",
                         aligns="l" + "r" * (len(engines) + 5)))
        targets = _target_lines(rows_by_key)
        if targets:
            out.append("\n".join(targets))
        srcs = sorted({f["params"].get("data") for f in train if f["params"].get("data")})
        if srcs:
            out.append("data: " + "; ".join(srcs))
    phases = [f for f in figures if f.get("suite") == SUITE and str(f.get("name", "")).startswith("phase ")]
    if phases:
        by = {}
        for f in phases:
            p = f["params"]
            by.setdefault((p["model"], p["batch"], f["threads"], f["engine"]), {})[p["phase"]] = f["median"]
        rows = []
        for (model, batch, thr, eng), ph in by.items():
            total = sum(ph.values())
            rows.append([model, batch, thr, eng, fmt_time(ph.get("forward")), fmt_time(ph.get("backward")),
                         fmt_time(ph.get("optimizer")), fmt_time(total)])
        out.append(table(["model", "batch", "thr", "engine", "forward+loss", "zero_grad+backward",
                          "optimizer", "step"], rows,
                         title="Step breakdown (median per phase, timed step by step)", aligns="lrrlrrrr"))
    if notes:
        out.append("\n".join("note: " + n for n in sorted(set(notes))))
    return "\n\n".join(out)


#: the issue's targets for 784-128-10 at batch 64 and 128: (label, baseline, kind, bound)
TARGETS = (("ours/torch >= 1.5x", "torch", "speed", 1.5),
           ("ours/torch-fused >= 1.0x", "torch-fused", "speed", 1.0),
           ("ours time <= 1.3x numpy floor", "numpy", "time", 1.3))


def _target_lines(rows_by_key):
    """One line per target and thread count: the measured ratio and whether it is met."""
    lines = []
    for (model, batch, thr), row in sorted(rows_by_key.items(), key=lambda kv: (kv[0][2], kv[0][1])):
        if model != "784-128-10" or batch not in (64, 128) or "ours" not in row:
            continue
        ours = row["ours"]["derived"]["samples_per_s"]
        parts = []
        for label, base, kind, bound in TARGETS:
            if base not in row:
                continue
            other = row[base]["derived"]["samples_per_s"]
            if kind == "speed":
                value, met = ours / other, ours / other >= bound
            else:
                value, met = other / ours, other / ours <= bound
            parts.append(f"{label}: {value:.2f}x {'met' if met else 'NOT met'}")
        if parts:
            lines.append(f"targets 784-128-10 batch {batch}, {thr} thread(s): " + "; ".join(parts))
    return lines


def plot_throughput(ax, figures):
    """Grouped bars of samples/s per (model, batch, threads), one bar per engine and the floor."""
    groups, values = [], {}
    for f in figures:
        p = f["params"]
        label = f"{p['model']}\nb{p['batch']} t{f['threads']}"
        if label not in groups:
            groups.append(label)
        values.setdefault(f["engine"], {})[label] = f["derived"]["samples_per_s"]
    engines = [e for e in ENGINES + ("floor",) if e in values]
    width = 0.85 / max(len(engines), 1)
    for i, eng in enumerate(engines):
        xs = [g + i * width for g in range(len(groups))]
        ax.bar(xs, [values[eng].get(g, 0) for g in groups], width, label=eng,
               hatch="//" if eng == "floor" else None, alpha=0.6 if eng == "floor" else 1.0)
    ax.set_xticks([g + width * (len(engines) - 1) / 2 for g in range(len(groups))])
    ax.set_xticklabels(groups, fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("samples/s (log; higher is better)")
    ax.set_title("MLP training throughput, Adam + cross-entropy (median)")
    ax.legend(fontsize=8)


def profile(model="784-128-10", batch=64, steps=300, engine="ours", top=30, log=print):
    """cProfile ``steps`` training steps of ``engine``; print the phase breakdown and hot functions.

    Example::

        python bench/mlp.py --profile ours --model 784-128-10 --batch 64
    """
    import cProfile
    import io
    import pstats

    factories, notes = available_engines((engine,))
    if engine not in factories:
        raise RuntimeError("; ".join(notes) or f"engine {engine} is not available")
    x_all, y_all, _ = load_data()
    layers = init_linear_layers(MODELS[model], np.random.default_rng(0))
    eng = factories[engine](layers)
    data = eng.convert(epoch_batches(x_all, y_all, batch, steps))
    phases = _time_phases(eng, data, steps, 20)
    log(f"{engine} {model} batch {batch}: forward+loss {fmt_time(phases['forward'])}, zero_grad+backward "
        f"{fmt_time(phases['backward'])}, optimizer {fmt_time(phases['optimizer'])} (medians per step)")
    step = eng.train_step
    prof = cProfile.Profile()
    prof.enable()
    for i in range(steps):
        step(*data[i])
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    log(buf.getvalue())


def main(argv=None):
    """``python bench/mlp.py [--quick] [--threads N]``: run the suite alone and print its tables."""
    import argparse

    from bench.common import ThreadLimits

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", metavar="ENGINE", help="cProfile one engine's steps instead of the suite")
    parser.add_argument("--model", default="784-128-10", choices=list(MODELS))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    with ThreadLimits(args.threads):
        if args.profile:
            profile(args.model, args.batch, args.steps, args.profile)
            return
        figs = run(quick=args.quick, threads=args.threads)
    print(render(figs))


if __name__ == "__main__":
    main()
