"""The library on the test-only "strict" device: every device-generic code path.

"strict" arrays (:mod:`autograd.backend.strict`) refuse to mix with host
NumPy arrays the way CuPy's do, so these tests catch on a CPU-only machine
any stray ``numpy`` call on device data that would break ``device="cuda"``.
Results are compared with the cpu device.
"""

import numpy as np
import pytest

import autograd as ag
from autograd.backend import get_backend
from autograd.backend.base import Backend
from autograd.backend.strict import StrictArray, StrictBackend, strict_numpy

from device_util import (OPTIMIZERS, all_op_cases, assert_on_device, check_dataloader,
                         check_layer_against_cpu, check_op_against_cpu, check_save_load,
                         check_training_against_cpu, host, layer_cases, mixing_cases,
                         register_strict)

DEVICE = register_strict()


@pytest.fixture
def xp():
    return strict_numpy


@pytest.fixture
def backend():
    return get_backend(DEVICE)


# ----------------------------------------------------------------------
# the StrictArray itself behaves like a CuPy array towards NumPy
# ----------------------------------------------------------------------
class TestStrictArray:
    def test_operators_and_ufuncs_stay_on_device(self, backend, xp):
        x = backend.from_numpy(np.arange(6.0).reshape(2, 3))
        for value in (x + 1, 2 * x, x @ x.T, -x, abs(x), x > 2, np.exp(x), xp.exp(x),
                      x.sum(axis=0), x.T, x[0], x[:, 1:], np.concatenate([x, x])):
            assert type(value) is StrictArray
        h = np.arange(6.0).reshape(2, 3)
        np.testing.assert_array_equal(backend.to_numpy(x @ x.T), h @ h.T)

    def test_reductions_give_0d_arrays_like_cupy(self, backend):
        x = backend.from_numpy(np.arange(4.0))
        total = x.sum()
        assert type(total) is StrictArray and total.shape == ()
        assert float(total) == 6.0 and int(x.max()) == 3 and bool(x.any())
        assert type(x[1]) is StrictArray

    @pytest.mark.parametrize("mix", [
        lambda x, h: x + h,
        lambda x, h: h + x,
        lambda x, h: h * x,
        lambda x, h: x @ h,
        lambda x, h: np.maximum(x, h),
        lambda x, h: np.concatenate([x, h]),
        lambda x, h: strict_numpy.exp(h),
        lambda x, h: strict_numpy.where(x > 0, x, h),
        lambda x, h: x.__setitem__(Ellipsis, h),
        lambda x, h: x.__iadd__(h),
    ], ids=["add", "radd", "rmul", "matmul", "ufunc", "concatenate", "xp_exp", "xp_where",
            "setitem", "iadd"])
    def test_host_arrays_are_refused(self, backend, mix):
        x = backend.from_numpy(np.ones((3, 3)))
        with pytest.raises(TypeError, match="host numpy.ndarray"):
            mix(x, np.ones((3, 3)))

    def test_implicit_conversion_to_numpy_is_refused(self, backend):
        x = backend.from_numpy(np.ones(3))
        for convert in (np.asarray, np.array, lambda a: np.float64(1.0) + np.asarray(a)):
            with pytest.raises(TypeError, match="Implicit conversion"):
                convert(x)
        assert not isinstance(x, np.ndarray)

    def test_scalars_and_host_indices_are_allowed(self, backend):
        x = backend.from_numpy(np.arange(5.0))
        assert float((x + np.float32(1.0))[0]) == 1.0
        np.testing.assert_array_equal(backend.to_numpy(x[np.array([0, 4])]), [0.0, 4.0])
        np.testing.assert_array_equal(backend.to_numpy(x[[1, 1]]), [1.0, 1.0])

    def test_out_argument_returns_the_same_object(self, backend, xp):
        x = backend.from_numpy(np.array([-1.0, 2.0]))
        assert xp.maximum(x, 0, out=x) is x
        y = x
        y += 1
        assert y is x
        np.testing.assert_array_equal(backend.to_numpy(x), [1.0, 3.0])

    def test_transfers_copy(self, backend):
        h = np.ones(3)
        x = backend.from_numpy(h)
        h[0] = 5.0
        assert float(x[0]) == 1.0
        out = backend.to_numpy(x)
        assert type(out) is np.ndarray
        out[1] = 7.0
        assert float(x[1]) == 1.0

    def test_names_missing_from_cupy_are_refused(self, xp):
        with pytest.raises(AttributeError, match="does not exist in CuPy"):
            xp.errstate(divide="ignore")

    def test_get_and_sync_counter(self, backend):
        from autograd.backend.strict import sync_counter
        x = backend.from_numpy(np.arange(3.0))
        sync_counter.reset()
        assert type(x.get()) is np.ndarray
        float(x.sum())
        x.tolist()
        assert sync_counter.count == 3

    def test_to_numpy_refuses_leaked_host_arrays(self, backend):
        with pytest.raises(TypeError, match="leaked"):
            backend.to_numpy(np.ones(2))

    def test_namespace(self, xp, backend):
        assert xp.ndarray is StrictArray
        assert xp.float32 is np.float32
        assert type(xp.asarray([1.0, 2.0])) is StrictArray
        assert type(xp.zeros((2, 2), dtype=xp.float32)) is StrictArray
        x = backend.from_numpy(np.ones(2))
        assert xp.asarray(x) is x
        assert type(xp.linalg.norm(x)) is StrictArray
        assert type(xp.add.reduce(x)) is StrictArray
        assert xp.result_type(x, np.float32) == np.float64
        assert isinstance(StrictBackend(), Backend) and StrictBackend.name == "strict"


# ----------------------------------------------------------------------
# the generic kernels run on the strict device like on numpy
# ----------------------------------------------------------------------
def _numpy_backend():
    return Backend()


def test_generic_kernels_match_numpy(backend, rng):
    ref = _numpy_backend()
    x = rng.standard_normal((5, 7)).astype(np.float32)
    w = rng.standard_normal((4, 7)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    g = rng.standard_normal((5, 7)).astype(np.float32)
    t = np.array([0, 6, 3, -100, 2])
    d = backend.from_numpy
    n = backend.to_numpy

    np.testing.assert_allclose(n(backend.gemm(d(x), d(w), trans_b=True)),
                               ref.gemm(x, w, trans_b=True), rtol=1e-6)
    out = d(np.ones((7, 7), np.float32))
    backend.gemm(d(x), d(x), trans_a=True, alpha=0.5, beta=2.0, out=out)
    np.testing.assert_allclose(n(out), 0.5 * x.T @ x + 2.0, rtol=1e-5)
    np.testing.assert_allclose(n(backend.linear_forward(d(x), d(w), d(b))),
                               ref.linear_forward(x, w, b), rtol=1e-6)
    for name in ("relu_forward", "softmax_forward", "log_softmax_forward"):
        np.testing.assert_allclose(n(getattr(backend, name)(d(x))), getattr(ref, name)(x),
                                   rtol=1e-6, err_msg=name)
    y = ref.softmax_forward(x)
    np.testing.assert_allclose(n(backend.softmax_backward(d(g), d(y))),
                               ref.softmax_backward(g, y), rtol=1e-6)
    np.testing.assert_allclose(n(backend.relu_backward(d(g), d(x))), ref.relu_backward(g, x))
    loss, lse = backend.cross_entropy_forward(d(x), d(t), label_smoothing=0.1)
    ref_loss, ref_lse = ref.cross_entropy_forward(x, t, label_smoothing=0.1)
    assert type(loss) is StrictArray
    np.testing.assert_allclose(n(loss), ref_loss, rtol=1e-6)
    grad = backend.cross_entropy_backward(d(np.float32(1.0)), d(x), d(t), lse,
                                          label_smoothing=0.1)
    np.testing.assert_allclose(n(grad), ref.cross_entropy_backward(np.float32(1.0), x, t, ref_lse,
                                                                    label_smoothing=0.1), rtol=1e-6)
    with pytest.raises(IndexError, match="out of bounds"):
        backend.cross_entropy_forward(d(x), d(np.array([0, 7, 0, 0, 0])))
    p, m, v = d(x.copy()), d(np.zeros_like(x)), d(np.zeros_like(x))
    backend.adam_step(p, d(g), m, v, 1, 1e-2, weight_decay=0.1, decoupled_weight_decay=True)
    rp, rm, rv = x.copy(), np.zeros_like(x), np.zeros_like(x)
    ref.adam_step(rp, g, rm, rv, 1, 1e-2, weight_decay=0.1, decoupled_weight_decay=True)
    np.testing.assert_array_equal(n(p), rp)


# ----------------------------------------------------------------------
# tensors: factories, transfers
# ----------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda d: ag.zeros(2, 3, device=d),
    lambda d: ag.ones((2, 3), device=d),
    lambda d: ag.full((2, 2), 1.5, device=d),
    lambda d: ag.full((2,), 3, device=d),
    lambda d: ag.empty(2, 3, device=d).zero_(),
    lambda d: ag.arange(5, device=d),
    lambda d: ag.linspace(0, 1, 5, device=d),
    lambda d: ag.eye(3, device=d),
    lambda d: ag.rand(2, 3, device=d),
    lambda d: ag.randn(2, 3, device=d),
    lambda d: ag.randint(0, 10, (4,), device=d),
    lambda d: ag.zeros_like(ag.ones(2, 2, device=d)),
    lambda d: ag.ones_like(ag.ones(2, 2, device=d)),
    lambda d: ag.full_like(ag.ones(2, 2, device=d), 7.0),
    lambda d: ag.rand_like(ag.ones(2, 2, device=d)),
    lambda d: ag.randn_like(ag.ones(2, 2, device=d)),
    lambda d: ag.tensor([[1.0, 2.0], [3.0, 4.0]], device=d),
    lambda d: ag.tensor(np.arange(4, dtype=np.float64), device=d),
], ids=["zeros", "ones", "full", "full_int", "empty", "arange", "linspace", "eye", "rand",
        "randn", "randint", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like",
        "tensor_list", "tensor_ndarray"])
def test_factories_match_cpu(make):
    ag.manual_seed(3)
    expected = make("cpu")
    ag.manual_seed(3)
    actual = make(DEVICE)
    assert_on_device(actual, DEVICE)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(host(actual), host(expected))


def test_to_cpu_numpy_roundtrip():
    x = ag.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    y = x.to(DEVICE)
    assert_on_device(y, DEVICE)
    assert y.requires_grad and not y.is_leaf          # .to is differentiable, as in PyTorch
    z = y.cpu()
    assert z.device == "cpu" and type(z._data) is np.ndarray
    np.testing.assert_array_equal(z.detach().numpy(), x.detach().numpy())
    out = y.detach().numpy()
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, [[1.0, -2.0], [3.0, 4.0]])
    assert y.to(DEVICE) is y                             # same device: no copy
    (y * y).sum().backward()
    assert x.grad.device == "cpu"                        # gradient flows back across devices
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.detach().numpy())


def test_item_tolist_repr_on_device():
    x = ag.tensor([[1.5, 2.0]], device=DEVICE)
    assert x.sum().item() == 3.5
    assert x.tolist() == [[1.5, 2.0]]
    assert "1.5" in repr(x)
    assert x.to(ag.float64).dtype == np.float64 and x.to(ag.float64).device == DEVICE


def test_setitem_and_inplace_on_device():
    x = ag.zeros(3, 4, device=DEVICE)
    x[1] = 2.0
    x[:, 0] = ag.ones(3, device=DEVICE)
    x += 1
    x.mul_(2)
    x.clamp_(max=5.0)
    assert_on_device(x, DEVICE)
    expected = np.zeros((3, 4), np.float32)
    expected[1] = 2.0
    expected[:, 0] = 1.0
    np.testing.assert_array_equal(host(x), np.minimum((expected + 1) * 2, 5.0))


# ----------------------------------------------------------------------
# ops: forward and backward against cpu
# ----------------------------------------------------------------------
@pytest.mark.parametrize("case", all_op_cases(), ids=str)
def test_op_matches_cpu(case):
    check_op_against_cpu(case, DEVICE)


@pytest.mark.parametrize("case", [c for c in all_op_cases() if c.name in (
    "exp", "div", "sum_dim", "matmul_batched_broadcast", "softmax_last", "log_softmax_last",
    "index_int_array_repeats", "F.cross_entropy", "F.linear")], ids=str)
def test_op_matches_cpu_float64(case):
    check_op_against_cpu(case, DEVICE, rtol=1e-12, atol=1e-12, dtype=np.float64)


# ----------------------------------------------------------------------
# the engine
# ----------------------------------------------------------------------
def test_engine_double_backward_and_grad():
    x = ag.tensor([0.5, -1.0, 2.0], requires_grad=True, device=DEVICE)
    y = (x ** 3).sum()
    (g,) = ag.grad(y, x, create_graph=True)
    assert_on_device(g, DEVICE)
    g.sum().backward()
    assert_on_device(x.grad, DEVICE)
    np.testing.assert_allclose(host(x.grad), 6 * np.array([0.5, -1.0, 2.0]), rtol=1e-6)


def test_engine_retain_graph_and_accumulation():
    x = ag.tensor([1.0, 2.0], requires_grad=True, device=DEVICE)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(host(x.grad), [4.0, 8.0])
    with pytest.raises(RuntimeError):
        y.backward()


def test_engine_nonscalar_backward_and_hooks():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, device=DEVICE)
    seen = []
    y = x * 2
    y.register_hook(lambda grad: seen.append(grad.device))
    y.backward(ag.ones(2, 2, device=DEVICE))
    assert seen == [DEVICE]
    np.testing.assert_array_equal(host(x.grad), np.full((2, 2), 2.0))


def test_engine_version_counter_on_device():
    x = ag.tensor([1.0, 2.0], requires_grad=True, device=DEVICE)
    y = x * 1.0
    z = y * y
    y.add_(1.0)
    with pytest.raises(RuntimeError):
        z.sum().backward()


def test_custom_function_on_device():
    class Cube(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    x = ag.tensor([1.0, -2.0], requires_grad=True, device=DEVICE)
    Cube.apply(x).sum().backward()
    assert_on_device(x.grad, DEVICE)
    np.testing.assert_allclose(host(x.grad), [3.0, 12.0])


def test_gradcheck_on_device():
    x = ag.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True,
                  device=DEVICE)
    assert ag.gradcheck(lambda t: (t.softmax(-1) * t).sum(), (x,))


# ----------------------------------------------------------------------
# nn, optim, serialization, data
# ----------------------------------------------------------------------
@pytest.mark.parametrize("name", list(layer_cases()))
def test_layer_matches_cpu(name):
    check_layer_against_cpu(name, DEVICE)


def test_module_to_moves_parameters_and_buffers():
    model = ag.nn.Sequential(ag.nn.Linear(3, 4), ag.nn.BatchNorm1d(4))
    assert model.to(DEVICE) is model
    for t in list(model.parameters()) + list(model.buffers()):
        assert_on_device(t, DEVICE)
    model.to("cpu")
    for t in list(model.parameters()) + list(model.buffers()):
        assert t.device == "cpu" and type(t._data) is np.ndarray


def test_dropout_training_matches_cpu_under_seed():
    results = []
    for device in ("cpu", DEVICE):
        ag.manual_seed(5)
        x = ag.ones(4, 6, device=device, requires_grad=True)
        y = ag.nn.functional.dropout(x, 0.5, training=True)
        y.sum().backward()
        results.append((host(y), host(x.grad)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_training_matches_cpu(optimizer):
    check_training_against_cpu(DEVICE, optimizer)


def test_clip_grad_norm_on_device():
    norms = []
    grads = []
    for device in ("cpu", DEVICE):
        ag.manual_seed(0)
        model = ag.nn.Linear(4, 3).to(device)
        model(ag.ones(2, 4, device=device)).sum().backward()
        norms.append(float(ag.nn.utils.clip_grad_norm_(model.parameters(), 0.5)))
        grads.append(host(model.weight.grad))
    assert norms[0] == pytest.approx(norms[1], rel=1e-6)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


def test_lr_scheduler_with_device_optimizer():
    model = ag.nn.Linear(2, 1).to(DEVICE)
    opt = ag.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = ag.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(2):
        model(ag.ones(3, 2, device=DEVICE)).sum().backward()
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)
    assert_on_device(model.weight, DEVICE)


def test_save_load(tmp_path):
    check_save_load(DEVICE, tmp_path)


def test_save_writes_host_arrays(tmp_path):
    t = ag.tensor([1.0, 2.0], device=DEVICE)
    path = tmp_path / "t.ag"
    ag.save({"t": t, "n": 3}, str(path))
    loaded = ag.load(str(path))
    assert loaded["n"] == 3
    np.testing.assert_array_equal(host(loaded["t"]), [1.0, 2.0])


def test_dataloader_batches_to_device():
    check_dataloader(DEVICE)


# ----------------------------------------------------------------------
# mixing devices
# ----------------------------------------------------------------------
@pytest.mark.parametrize("name,fn", mixing_cases(DEVICE), ids=[n for n, _ in mixing_cases(DEVICE)])
def test_mixing_devices_raises(name, fn):
    with pytest.raises(RuntimeError) as info:
        fn()
    message = str(info.value)
    assert "cpu" in message and DEVICE in message, message



def test_dataset_of_device_tensors_gives_device_batches():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((11, 3)).astype(np.float32)
    ys = rng.integers(0, 3, size=11)
    batches = {}
    for device in ("cpu", DEVICE):
        dataset = ag.data.TensorDataset(ag.tensor(xs).to(device), ag.tensor(ys).to(device))
        ag.manual_seed(4)
        loader = ag.data.DataLoader(dataset, batch_size=4, shuffle=True, drop_last=True)
        batches[device] = []
        for xb, yb in loader:
            assert_on_device(xb, device)
            assert_on_device(yb, device)
            batches[device].append((host(xb), host(yb)))
    assert len(batches[DEVICE]) == 2
    for (xc, yc), (xd, yd) in zip(batches["cpu"], batches[DEVICE]):
        np.testing.assert_array_equal(xd, xc)
        np.testing.assert_array_equal(yd, yc)


def test_optimizer_state_loaded_onto_device(tmp_path):
    """Optimizer state saved from cpu and loaded for a device model lives on that device."""
    F = ag.nn.functional
    x = ag.randn(8, 4)
    y = ag.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    ag.manual_seed(0)
    model = ag.nn.Linear(4, 3)
    opt = ag.optim.Adam(model.parameters(), lr=0.1)
    F.cross_entropy(model(x), y).backward()
    opt.step()
    path = str(tmp_path / "ckpt.ag")
    ag.save({"model": model.state_dict(), "optim": opt.state_dict()}, path)
    ckpt = ag.load(path)
    device_model = ag.nn.Linear(4, 3).to(DEVICE)
    device_model.load_state_dict(ckpt["model"])
    device_opt = ag.optim.Adam(device_model.parameters(), lr=0.1)
    device_opt.load_state_dict(ckpt["optim"])
    for m, o, inp, tgt in ((model, opt, x, y), (device_model, device_opt, x.to(DEVICE),
                                                y.to(DEVICE))):
        o.zero_grad()
        F.cross_entropy(m(inp), tgt).backward()
        o.step()
    np.testing.assert_allclose(host(device_model.weight), host(model.weight), rtol=1e-6)
    for state in device_opt.state_dict()["state"].values():
        for value in state.values():
            if ag.is_tensor(value) and value.ndim > 0:
                assert_on_device(value, DEVICE)


def test_no_grad_and_mask_assignment_on_device():
    x = ag.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True, device=DEVICE)
    with ag.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    y[y < 0] = 0.0
    assert_on_device(y, DEVICE)
    np.testing.assert_array_equal(host(y), [[0.0, 4.0], [6.0, 0.0]])
    z = ag.zeros(3, device=DEVICE)
    z[ag.tensor([0, 2], device=DEVICE)] = ag.tensor([1.0, 2.0], device=DEVICE)
    np.testing.assert_array_equal(host(z), [1.0, 0.0, 2.0])


def test_mnist_example_on_device():
    """The MNIST example trains the same on the strict device as on cpu (a small subset)."""
    from autograd.examples import mnist
    data = mnist.load_data("mnist-sample")
    small = data._replace(train_images=data.train_images[:512],
                          train_labels=data.train_labels[:512],
                          test_images=data.test_images[:256], test_labels=data.test_labels[:256])
    results = {device: mnist.train_and_evaluate(data=small, epochs=1, batch_size=64, hidden=32,
                                                device=device, progress=False, log=None)
               for device in ("cpu", DEVICE)}
    for p in results[DEVICE].model.parameters():
        assert_on_device(p, DEVICE)
    assert results[DEVICE].test_loss == pytest.approx(results["cpu"].test_loss, rel=1e-4)
    np.testing.assert_array_equal(results[DEVICE].predictions, results["cpu"].predictions)


@pytest.mark.parametrize("fn", [
    lambda d: ag.ones(3, device=d)[ag.tensor([0, 5], device=d)],
    lambda d: ag.ones(3, device=d)[[0, -4]],
    lambda d: ag.ones(2, 3, device=d)[:, ag.tensor([3], device=d)],
    lambda d: ag.ones(3, device=d).__setitem__(ag.tensor([7], device=d), 1.0),
    lambda d: ag.nn.functional.cross_entropy(ag.ones(2, 3, device=d), ag.tensor([0, 3], device=d)),
    lambda d: ag.nn.functional.nll_loss(ag.ones(2, 3, device=d), ag.tensor([-2, 0], device=d)),
], ids=["index_tensor", "index_list_negative", "index_second_dim", "setitem", "cross_entropy",
        "nll_loss"])
def test_out_of_range_indices_raise_on_device(fn):
    """Index validation must not rely on NumPy raising: CuPy's gather wraps around instead
    (the strict device does the same), so the library has to check bounds itself."""
    with pytest.raises(IndexError):
        fn("cpu")
    with pytest.raises(IndexError):
        fn(DEVICE)


@pytest.mark.parametrize("optimizer", ["SGD_momentum_nesterov_wd", "Adam", "RMSprop"])
def test_training_step_reads_device_memory_at_most_three_times(optimizer):
    """A GPU is kept busy only if the host never waits for it: count host reads per step.

    The generic kernels the strict device runs read back three values per step (the
    class-index check and the two ``mean`` row counts of cross-entropy; the cuda backend
    keeps the counts on the device and reads one); ops, engine, nn and optim add none.
    """
    from autograd.backend.strict import sync_counter
    from device_util import make_mlp, make_optimizer
    F = ag.nn.functional
    ag.manual_seed(0)
    model = make_mlp().to(DEVICE)
    opt = make_optimizer(optimizer, model.parameters())
    x = ag.randn(16, 20, device=DEVICE)
    y = ag.randint(0, 5, (16,), device=DEVICE)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    step()                      # state creation may read once
    sync_counter.reset()
    for _ in range(3):
        step()
    assert sync_counter.count <= 3 * 3, f"{sync_counter.count / 3:.1f} host reads per step"
