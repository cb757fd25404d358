"""The benchmark harness: the NumPy floor is correct, the runner's plumbing works (no timings asserted)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ``bench`` is not installed with the package: import it from the source tree. Appended, so an
# installed autograd (CI tests the installed package) wins over the unbuilt source tree.
if REPO not in sys.path:
    sys.path.append(REPO)

from bench.common import figure, measure, measure_interleaved, table  # noqa: E402
from bench.numpy_mlp import NumpyMLP, init_linear_layers  # noqa: E402
from bench.mlp import NumpyEngine, check_equivalence, epoch_batches, step_flops  # noqa: E402
from bench.run import compare, parse_threads, plan_processes  # noqa: E402

# The runner as a script, as CI runs it: the installed autograd is imported first.
RUNNER = [sys.executable, os.path.join(REPO, "bench", "run.py")]


def test_numpy_mlp_gradients_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    layers = init_linear_layers([20, 16, 12, 5], rng)
    net = NumpyMLP(layers)
    x = rng.standard_normal((8, 20), dtype=np.float32)
    t = rng.integers(0, 5, 8)
    loss = net.forward_loss(x, t)
    net.backward(x)
    params = [torch.tensor(a, requires_grad=True) for w, b in layers for a in (w, b)]
    h = torch.from_numpy(x)
    for i in range(0, len(params), 2):
        h = h @ params[i].T + params[i + 1]
        if i + 2 < len(params):
            h = torch.relu(h)
    ref = torch.nn.functional.cross_entropy(h, torch.from_numpy(t))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-5)
    grads = [g for pair in zip(net.weight_grads, net.bias_grads) for g in pair]
    for ours, p in zip(grads, params):
        np.testing.assert_allclose(ours, p.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_numpy_mlp_adam_matches_torch_adam():
    torch = pytest.importorskip("torch")
    from bench.torch_mlp import TorchMLP

    rng = np.random.default_rng(1)
    layers = init_linear_layers([30, 16, 4], rng)
    ours, ref = NumpyMLP(layers), TorchMLP(layers)
    for _ in range(5):
        x = rng.standard_normal((6, 30), dtype=np.float32)
        t = rng.integers(0, 4, 6)
        ours.train_step(x, t)
        ref.train_step(*ref.batch(x, t))
    for (w, b), (tw, tb) in zip(ours.state(), ref.state()):
        np.testing.assert_allclose(w, tw, atol=1e-5)
        np.testing.assert_allclose(b, tb, atol=1e-5)


def test_numpy_mlp_rejects_bad_input():
    net = NumpyMLP(init_linear_layers([4, 3], np.random.default_rng(0)))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        net.train_step(np.zeros((2, 5), np.float32), np.zeros(2, np.int64))


def test_measure_and_table():
    r = measure(lambda: None, repeats=3, min_repeat_time=0.001)
    assert r["repeats"] == 3 and r["min"] <= r["median"] <= r["max"] and r["number"] >= 1
    text = table(["op", "time"], [["relu", "45 µs"]])
    assert text.splitlines()[0].split() == ["op", "time"]
    with pytest.raises(ValueError):
        table(["a", "b"], [["only one"]])
    with pytest.raises(ValueError):
        measure(lambda: None, repeats=0)


def test_measure_interleaved_takes_turns_inside_each_context():
    """Each function's repeats alternate with the others' (so a burst of load elsewhere hits
    all of them) and run inside that function's own context."""
    import contextlib

    log = []
    inside = []

    @contextlib.contextmanager
    def marked(name):
        inside.append(name)
        yield
        inside.pop()

    def make(name):
        def fn():
            log.append((name, tuple(inside)))
        return fn

    a, b = measure_interleaved([make("a"), make("b")], repeats=4, warmup=0,
                               contexts=[lambda: marked("A"), lambda: marked("B")])
    assert a["repeats"] == b["repeats"] == 4 and len(a["times"]) == 4
    assert a["min"] <= a["median"] <= a["max"]
    assert all(ctx == (name.upper(),) for name, ctx in log)     # always inside its own context
    order = [name for name, _ in log[2:]]                       # after the two calibration calls
    assert order.count("a") == order.count("b") == 4
    assert order[:2] != order[2:4]                              # who goes first rotates
    with pytest.raises(ValueError):
        measure_interleaved([lambda: None], repeats=0)


def test_parse_threads():
    assert parse_threads("1,2,2") == [1, 2]
    for bad in ("0", "a", ""):
        with pytest.raises(Exception):
            parse_threads(bad)


def test_compare_flags_a_regression():
    timing = {"min": 1.0, "median": 1.0, "max": 1.0, "repeats": 1, "number": 1}
    old = {"figures": [figure("mlp", "train", "ours", 1, timing, {"batch": 64})], "environment": {}}
    new = [figure("mlp", "train", "ours", 1, dict(timing, median=1.5), {"batch": 64})]
    text = compare(new, old)
    assert "REGRESSION" in text and "+50.0%" in text


def test_runner_end_to_end(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    proc = subprocess.run(RUNNER + ["mlp", "--quick", "--compare", str(bad)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "not a benchmark result" in proc.stderr
    out = tmp_path / "r.json"
    cmd = RUNNER + ["mlp", "--quick", "--engines", "numpy", "--models", "784-128-10"]
    proc = subprocess.run(cmd + ["--json", str(out)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(out.read_text())
    figs = [f for f in payload["figures"] if f.get("engine") == "numpy" and f["name"].startswith("train")]
    assert figs and figs[0]["repeats"] == 1 and figs[0]["params"]["batch"] == 64
    assert payload["environment"]["numpy"] == np.__version__
    assert "samples/s" in proc.stdout
    assert "figures compared: 0 slower, 0 faster" in compare(payload["figures"], payload)


def test_equivalence_check_catches_a_different_trainer():
    rng = np.random.default_rng(2)
    layers = init_linear_layers([12, 8, 3], rng)
    x = rng.standard_normal((64, 12), dtype=np.float32)
    y = rng.integers(0, 3, 64)
    batches = epoch_batches(x, y, 16, 8)
    assert check_equivalence(NumpyEngine, layers, batches)[0]

    class WrongLR(NumpyEngine):
        def __init__(self, layers):
            super().__init__(layers)
            self.net.lr = 1e-2

    ok, detail = check_equivalence(WrongLR, layers, batches)
    assert not ok and "NumPy floor" in detail


def test_step_flops_counts_forward_and_both_backward_products():
    # 784-128-10 at batch 64: 3 GEMMs for the first layer minus its input gradient, 3 for the second
    expected = 2 * 64 * (784 * 128 * 2 + 128 * 10 * 3)
    assert step_flops([784, 128, 10], 64) == expected


def test_plan_processes_isolates_engines_above_one_thread():
    import argparse

    args = argparse.Namespace(engines=None)
    assert plan_processes(args, ["kernels", "mlp"], 1) == [(["kernels", "mlp"], None, None)]
    plan = plan_processes(args, ["kernels", "mlp"], 2)
    assert plan[0] == (["kernels"], "torch", None)
    assert ("mlp" in plan[1][0]) and {p[2] for p in plan[1:]} == {"ours", "numpy", "torch", "torch-fused", "floor"}
    assert [p[1] for p in plan if p[2] == "ours"] == ["autograd"]
