"""The compiled kernels, called through the cpu backend, against NumPy references.

The reference is :class:`autograd.backend.base.Backend` (plain NumPy
expressions) evaluated in float64; PyTorch is a second reference where its
arithmetic is the contract (the optimizer steps).  Hypothesis generates
shapes (including empty and 1-element ones), dtypes and layouts
(C-contiguous, transposed, row-sliced, column-strided, reversed).
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import _C
from autograd.backend.base import Backend
from autograd.backend.cpu import CPUBackend

CPU = CPUBackend()
REF = Backend()
FLOATS = (np.float32, np.float64)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def tol(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)


def layout(base, kind):
    """A view of ``base``'s values with the given memory layout (same shape and values)."""
    if kind == "c":
        return np.ascontiguousarray(base)
    if kind == "f":  # transposed storage: F-contiguous
        return np.asfortranarray(base)
    if kind == "rows":  # every other row of a bigger array (row stride > row length)
        big = np.zeros((base.shape[0] * 2,) + base.shape[1:], dtype=base.dtype)
        big[::2] = base
        return big[::2]
    if kind == "cols":  # every other column: no unit stride at all
        big = np.zeros(base.shape[:-1] + (base.shape[-1] * 2,), dtype=base.dtype)
        big[..., ::2] = base
        return big[..., ::2]
    if kind == "flip":  # negative strides along the first axis
        return np.ascontiguousarray(base[::-1])[::-1]
    raise ValueError(kind)


LAYOUTS = st.sampled_from(["c", "f", "rows", "cols", "flip"])
DTYPES = st.sampled_from(FLOATS)


def random(rng, shape, dtype, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


@pytest.fixture(autouse=True)
def always_use_kernels(monkeypatch):
    """The wrappers hand tiny arrays to NumPy; send everything to the kernels here."""
    import autograd.backend.cpu as cpu_module

    monkeypatch.setattr(cpu_module, "_SMALL_ELEMENTWISE", 0)
    monkeypatch.setattr(cpu_module, "_SMALL_GEMM_FLOPS", 0)


# Parallel thresholds low enough that the small arrays of these tests run
# threaded (the defaults keep anything below ~1M elements on one thread).
TEST_PARALLEL_THRESHOLDS = dict(elements=32768, row_work=32768)


@pytest.fixture(params=[1, 2], ids=["threads1", "threads2"])
def threads(request):
    before = _C.get_num_threads()
    thresholds = _C._set_parallel_thresholds(**TEST_PARALLEL_THRESHOLDS)
    _C.set_num_threads(request.param)
    yield request.param
    _C.set_num_threads(before)
    _C._set_parallel_thresholds(**thresholds)


# ----------------------------------------------------------------------
# gemm / matmul / linear
# ----------------------------------------------------------------------
@SETTINGS
@given(m=st.integers(0, 9), n=st.integers(0, 9), k=st.integers(0, 9), dtype=DTYPES,
       trans_a=st.booleans(), trans_b=st.booleans(), la=LAYOUTS, lb=LAYOUTS,
       alpha=st.sampled_from([1.0, -0.5]), beta=st.sampled_from([0.0, 1.0, 2.0]),
       with_out=st.booleans(), seed=st.integers(0, 2**16))
def test_gemm_matches_numpy(m, n, k, dtype, trans_a, trans_b, la, lb, alpha, beta, with_out, seed):
    rng = np.random.default_rng(seed)
    a = layout(random(rng, (k, m) if trans_a else (m, k), dtype), la)
    b = layout(random(rng, (n, k) if trans_b else (k, n), dtype), lb)
    a64 = a.astype(np.float64).T if trans_a else a.astype(np.float64)
    b64 = b.astype(np.float64).T if trans_b else b.astype(np.float64)
    expected = alpha * (a64 @ b64)
    if with_out:
        out = random(rng, (m, n), dtype)
        expected = expected + (beta * out.astype(np.float64) if beta else 0)
        result = CPU.gemm(a, b, trans_a, trans_b, alpha, beta, out=out)
        assert result is out
    else:
        result = CPU.gemm(a, b, trans_a, trans_b, alpha, beta)
    assert result.dtype == dtype and result.shape == (m, n)
    np.testing.assert_allclose(result, expected, **tol(dtype))


def test_gemm_transposed_view_is_not_copied(monkeypatch):
    """A transposed weight goes to BLAS with the flag flipped: no ascontiguousarray call."""
    rng = np.random.default_rng(1)
    x = random(rng, (6, 4), np.float32)
    w = random(rng, (5, 4), np.float32)
    import autograd.backend.cpu as cpu_module

    def no_copy(*args, **kwargs):
        raise AssertionError("gemm copied an operand")

    monkeypatch.setattr(cpu_module.numpy, "ascontiguousarray", no_copy)
    np.testing.assert_allclose(CPU.gemm(x, w.T), x @ w.T, rtol=1e-5)
    np.testing.assert_allclose(CPU.matmul(x, w.T), x @ w.T, rtol=1e-5)
    np.testing.assert_allclose(CPU.gemm(x.T, x), x.T @ x, rtol=1e-5)


def test_small_inputs_take_the_numpy_path_with_same_results(monkeypatch):
    import autograd.backend.cpu as cpu_module

    rng = np.random.default_rng(13)
    a = random(rng, (3, 4), np.float32)
    b = random(rng, (5, 4), np.float32)
    x = random(rng, (7, 3), np.float64)
    kernel_results = [CPU.gemm(a, b, trans_b=True), CPU.relu_forward(x)]
    monkeypatch.setattr(cpu_module, "_SMALL_ELEMENTWISE", 4096)
    monkeypatch.setattr(cpu_module, "_SMALL_GEMM_FLOPS", 8192)
    numpy_results = [CPU.gemm(a, b, trans_b=True), CPU.relu_forward(x)]
    for k, n in zip(kernel_results, numpy_results):
        assert k.dtype == n.dtype and k.shape == n.shape
        np.testing.assert_allclose(k, n, rtol=1e-6)


def test_gemm_out_aliasing_and_strided_out():
    rng = np.random.default_rng(2)
    a = random(rng, (4, 4), np.float64)
    expected = a @ a + a
    out = a.copy()
    CPU.gemm(out, a, beta=1.0, out=out)  # out is also an operand
    np.testing.assert_allclose(out, expected)
    big = np.zeros((4, 8))
    strided = big[:, ::2]
    CPU.gemm(a, a, out=strided)
    np.testing.assert_allclose(big[:, ::2], a @ a)
    assert not big[:, 1::2].any()


def test_gemm_errors():
    a = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match=r"gemm: shapes \(3, 4\) and \(3, 4\) do not align"):
        CPU.gemm(a, a)
    with pytest.raises(TypeError, match="same dtype"):
        CPU.gemm(a, np.ones((4, 2)))
    with pytest.raises(ValueError, match="2-D"):
        CPU.gemm(a, np.ones(4, np.float32))
    with pytest.raises(ValueError, match="out has shape"):
        CPU.gemm(a, a, trans_b=True, out=np.empty((3, 4), np.float32))
    with pytest.raises(TypeError, match="ndarray"):
        CPU.gemm(a, [[1.0]])


MATMUL_SHAPES = [
    ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2)), ((1, 2, 3), (6, 3, 2)),
    ((0, 2, 3), (3, 4)), ((2, 0, 3), (2, 3, 4)), ((2, 3, 0), (2, 0, 4)), ((4, 1, 1), (1, 1)),
    ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((1, 1), (1, 1)), ((0,), (0,)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_numpy(shapes, dtype):
    rng = np.random.default_rng(3)
    a = random(rng, shapes[0], dtype)
    b = random(rng, shapes[1], dtype)
    expected = np.matmul(a.astype(np.float64), b.astype(np.float64))
    result = CPU.matmul(a, b)
    assert result.shape == expected.shape and result.dtype == dtype
    np.testing.assert_allclose(result, expected, **tol(dtype))
    if a.ndim >= 2 and b.ndim >= 2:  # transposed batches go through the flag too
        at = np.swapaxes(np.swapaxes(a, -1, -2).copy(), -1, -2)
        bt = np.swapaxes(np.swapaxes(b, -1, -2).copy(), -1, -2)
        np.testing.assert_allclose(CPU.matmul(at, bt), expected, **tol(dtype))


def test_matmul_fallback_and_errors():
    a = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(CPU.matmul(a, a.T), a @ a.T)  # int: numpy
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\) do not align \(3 != 2\)"):
        CPU.matmul(a.astype(np.float32), a.astype(np.float32))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        CPU.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 2)))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        CPU.matmul(np.ones(()), np.ones((2,)))
    with pytest.raises(TypeError, match="same dtype"):
        CPU.matmul(np.ones((2, 2), np.float32), np.ones((2, 2)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_linear_forward(dtype):
    rng = np.random.default_rng(4)
    x = random(rng, (7, 5), dtype)
    w = random(rng, (3, 5), dtype)
    b = random(rng, (3,), dtype)
    np.testing.assert_allclose(CPU.linear_forward(x, w, b), x @ w.T + b, **tol(dtype))
    np.testing.assert_allclose(CPU.linear_forward(x, w), x @ w.T, **tol(dtype))
    with pytest.raises(ValueError, match="linear: input shape"):
        CPU.linear_forward(x, w.T)
    with pytest.raises(ValueError, match="bias must have shape"):
        CPU.linear_forward(x, w, b[:2])


# ----------------------------------------------------------------------
# ReLU
# ----------------------------------------------------------------------
SHAPES = st.lists(st.integers(0, 6), min_size=1, max_size=3).map(tuple)


@SETTINGS
@given(shape=SHAPES, dtype=DTYPES, kind=LAYOUTS, seed=st.integers(0, 2**16))
def test_relu_forward_backward(shape, dtype, kind, seed):
    rng = np.random.default_rng(seed)
    x = layout(random(rng, shape, dtype), kind)
    g = layout(random(rng, shape, dtype), kind)
    y = CPU.relu_forward(x)
    assert y.shape == shape and y.dtype == dtype
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    dx = CPU.relu_backward(g, x)
    assert dx.shape == shape and dx.dtype == dtype
    np.testing.assert_array_equal(dx, g * (x > 0))


@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_large_and_special_values(dtype, threads):
    rng = np.random.default_rng(5)
    x = random(rng, (300, 257), dtype)  # above the parallel threshold, not a chunk multiple
    x[0, :4] = [np.nan, np.inf, -np.inf, 0.0]
    y = CPU.relu_forward(x)
    assert np.isnan(y[0, 0]) and y[0, 1] == np.inf and y[0, 2] == 0 and y[0, 3] == 0
    np.testing.assert_array_equal(y[1:], np.maximum(x[1:], 0))
    g = random(rng, x.shape, dtype)
    # zero where x <= 0; NaN passes its gradient (PyTorch's threshold_backward)
    np.testing.assert_array_equal(CPU.relu_backward(g, x), np.where(x <= 0, 0, g))
    assert CPU.relu_backward(g, x)[0, 0] == g[0, 0]


def test_relu_errors_and_fallback():
    with pytest.raises(ValueError, match="relu_backward: grad shape"):
        CPU.relu_backward(np.ones(3), np.ones(4))
    np.testing.assert_array_equal(CPU.relu_forward(np.array([-1, 2])), [0, 2])  # int: numpy
    assert CPU.relu_forward(np.float32(-2.0) * np.ones((), np.float32)).shape == ()


@SETTINGS
@given(rows=st.integers(0, 40), cols=st.integers(0, 9), dtype=DTYPES, seed=st.integers(0, 2**16))
def test_bias_relu_forward(rows, cols, dtype, seed):
    rng = np.random.default_rng(seed)
    x = random(rng, (rows, cols), dtype)
    bias = layout(random(rng, (1, cols), dtype), "cols")[0]  # a strided bias is fine
    expected = np.maximum(x + bias, 0)
    result = CPU.bias_relu_forward(x, bias)
    assert result is x
    np.testing.assert_array_equal(x, expected)


def test_bias_relu_errors():
    x = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="bias_relu"):
        CPU.bias_relu_forward(x, np.ones(3, np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        CPU.bias_relu_forward(np.asfortranarray(x), np.ones(4, np.float32))
    with pytest.raises(ValueError, match="dtype"):
        CPU.bias_relu_forward(x, np.ones(4))


# ----------------------------------------------------------------------
# softmax / log-softmax
# ----------------------------------------------------------------------
ROWWISE = [
    (CPU.softmax_forward, REF.softmax_forward, CPU.softmax_backward, REF.softmax_backward),
    (CPU.log_softmax_forward, REF.log_softmax_forward, CPU.log_softmax_backward,
     REF.log_softmax_backward),
]


@SETTINGS
@given(shape=st.lists(st.integers(0, 7), min_size=1, max_size=3).map(tuple), dtype=DTYPES,
       kind=LAYOUTS, which=st.sampled_from([0, 1]), axis_seed=st.integers(0, 10),
       scale=st.sampled_from([1.0, 30.0]), seed=st.integers(0, 2**16))
def test_softmax_family(shape, dtype, kind, which, axis_seed, scale, seed):
    rng = np.random.default_rng(seed)
    fwd, fwd_ref, bwd, bwd_ref = ROWWISE[which]
    axis = axis_seed % len(shape) - (len(shape) if axis_seed % 2 else 0)  # negative axes too
    x = layout(random(rng, shape, dtype, scale), kind)
    y = fwd(x, axis)
    assert y.shape == shape and y.dtype == dtype
    np.testing.assert_allclose(y, fwd_ref(x.astype(np.float64), axis), **tol(dtype))
    g = layout(random(rng, shape, dtype), kind)
    dx = bwd(g, y, axis)
    assert dx.shape == shape and dx.dtype == dtype
    expected = bwd_ref(g.astype(np.float64), y.astype(np.float64), axis)
    np.testing.assert_allclose(dx, expected, **tol(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_extreme_logits(dtype, threads):
    x = np.array([[1e4, -1e4, 0.0], [5.0, 5.0, 5.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -np.inf],
                  [-np.inf, 0.0, 80.0]], dtype=dtype)
    sm = CPU.softmax_forward(x)
    lsm = CPU.log_softmax_forward(x)
    expected_sm = np.array([[1, 0, 0], [1 / 3] * 3, [1 / 3] * 3, [0.5, 0.5, 0],
                            [0, math.exp(-80), 1]])
    np.testing.assert_allclose(sm, expected_sm, rtol=1e-6, atol=1e-30)
    finite = np.isfinite(x)
    assert np.isfinite(lsm[finite]).all()
    np.testing.assert_allclose(lsm[0], [0, -2e4, -1e4], rtol=1e-6)
    np.testing.assert_allclose(lsm[1], [-math.log(3)] * 3, rtol=1e-6)
    np.testing.assert_allclose(lsm[3, :2], [-math.log(2)] * 2, rtol=1e-6)
    assert lsm[3, 2] == -np.inf


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_large_rows_threads(dtype, threads):
    rng = np.random.default_rng(6)
    x = random(rng, (64, 1031), dtype, 10.0)
    for fwd, fwd_ref, bwd, bwd_ref in ROWWISE:
        y = fwd(x)
        np.testing.assert_allclose(y, fwd_ref(x.astype(np.float64)), **tol(dtype))
        g = random(rng, x.shape, dtype)
        # float32 sums over 1031 entries carry ~1e-7 * sum|g| of rounding
        loose = dict(rtol=1e-4, atol=3e-5) if dtype == np.float32 else tol(dtype)
        np.testing.assert_allclose(bwd(g, y), bwd_ref(g.astype(np.float64), y.astype(np.float64)),
                                   **loose)


def test_softmax_nan_row_and_errors():
    x = np.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]])
    y = CPU.softmax_forward(x)
    assert np.isnan(y[0]).all() and np.isfinite(y[1]).all()
    with pytest.raises(IndexError, match="axis 2 is out of range"):
        CPU.softmax_forward(x, axis=2)
    with pytest.raises(TypeError, match="float32 or float64"):
        CPU.log_softmax_forward(np.ones((2, 2), np.int64))
    with pytest.raises(ValueError, match="does not match"):
        CPU.softmax_backward(np.ones((2, 2)), x)
    assert CPU.softmax_forward(np.float64(3.0) * np.ones(())) == 1.0


# ----------------------------------------------------------------------
# cross-entropy
# ----------------------------------------------------------------------
@SETTINGS
@given(n=st.integers(0, 12), c=st.integers(1, 9), dtype=DTYPES,
       reduction=st.sampled_from(["mean", "sum", "none"]),
       ignore=st.sampled_from([None, -100, 0, 7]),
       label_smoothing=st.sampled_from([0.0, 0.1, 1.0]), kind=LAYOUTS,
       scale=st.sampled_from([1.0, 50.0]), seed=st.integers(0, 2**16))
def test_cross_entropy(n, c, dtype, reduction, ignore, label_smoothing, kind, scale, seed):
    rng = np.random.default_rng(seed)
    logits = layout(random(rng, (n, c), dtype, scale), kind)
    target = rng.integers(0, c, size=n)
    ignore_index = -100 if ignore is None else ignore
    if ignore is not None and n:
        target[rng.random(n) < 0.3] = ignore_index
    if ignore_index >= c:
        target[target == ignore_index] = 0  # 7 is only an ignore label when it is not a class
        if n:
            target[0] = ignore_index
    kwargs = dict(reduction=reduction, ignore_index=ignore_index, label_smoothing=label_smoothing)
    loss, lse = CPU.cross_entropy_forward(logits, target, **kwargs)
    ref_loss, ref_lse = REF.cross_entropy_forward(logits.astype(np.float64), target, **kwargs)
    assert loss.dtype == dtype and loss.shape == ref_loss.shape and lse.shape == (n,)
    np.testing.assert_allclose(lse, ref_lse, **tol(dtype))
    np.testing.assert_allclose(loss, ref_loss, equal_nan=True, **tol(dtype))
    grad = random(rng, (n,) if reduction == "none" else (), dtype)
    dx = CPU.cross_entropy_backward(grad, logits, target, lse, **kwargs)
    ref_dx = REF.cross_entropy_backward(grad.astype(np.float64), logits.astype(np.float64), target,
                                        ref_lse, **kwargs)
    assert dx.shape == (n, c) and dx.dtype == dtype
    np.testing.assert_allclose(dx, ref_dx, equal_nan=True, **tol(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_against_torch(torch, dtype, reduction, label_smoothing, threads):
    rng = np.random.default_rng(7)
    logits = random(rng, (70, 600), dtype, 5.0)  # large enough to run threaded
    target = rng.integers(0, 600, size=70)
    target[::9] = -100
    loss, lse = CPU.cross_entropy_forward(logits, target, reduction, -100, label_smoothing)
    t_logits = torch.tensor(logits, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.tensor(target), reduction=reduction,
                                               label_smoothing=label_smoothing)
    np.testing.assert_allclose(loss, t_loss.detach().numpy(), rtol=1e-5 if dtype == np.float32 else 1e-12)
    grad = np.ones((70,) if reduction == "none" else (), dtype)
    t_loss.backward(torch.tensor(grad))
    dx = CPU.cross_entropy_backward(grad, logits, target, lse, reduction, -100, label_smoothing)
    np.testing.assert_allclose(dx, t_logits.grad.numpy(), rtol=1e-5, atol=1e-8 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_extreme_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [7.0, 7.0, 7.0], [-1e4, 1e4, 1e4]],
                      dtype=dtype)
    target = np.array([1, 2, 0, 1])
    loss, lse = CPU.cross_entropy_forward(logits, target, "none")
    np.testing.assert_allclose(loss, [2e4, math.log(3), math.log(3), math.log(2)], rtol=1e-6)
    dx = CPU.cross_entropy_backward(np.ones(4, dtype), logits, target, lse, "none")
    expected = np.array([[1, -1, 0], [1 / 3, 1 / 3, -2 / 3], [-2 / 3, 1 / 3, 1 / 3],
                         [0, -0.5, 0.5]])
    assert np.isfinite(dx).all()
    np.testing.assert_allclose(dx, expected, atol=1e-6)


def test_cross_entropy_errors():
    logits = np.zeros((3, 4), np.float32)
    for bad in ([0, 4, 1], [0, -1, 1], [-5, 0, 0]):
        with pytest.raises(IndexError, match="out of bounds for 4 classes"):
            CPU.cross_entropy_forward(logits, np.array(bad))
        with pytest.raises(IndexError):
            CPU.cross_entropy_backward(np.ones((), np.float32), logits, np.array(bad),
                                       np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="integer array of class indices"):
        CPU.cross_entropy_forward(logits, np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="does not match"):
        CPU.cross_entropy_forward(logits, np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="reduction"):
        CPU.cross_entropy_forward(logits, np.zeros(3, np.int64), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        CPU.cross_entropy_forward(logits, np.zeros(3, np.int64), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        CPU.cross_entropy_forward(np.zeros(4), np.zeros((), np.int64))
    loss, _ = CPU.cross_entropy_forward(logits, np.array([-100, -100, -100]))
    assert np.isnan(loss)  # mean over no rows, as in PyTorch
    loss, _ = CPU.cross_entropy_forward(logits, np.array([3, 0, 1], dtype=np.int32))
    np.testing.assert_allclose(loss, math.log(4), rtol=1e-6)


# ----------------------------------------------------------------------
# optimizer steps
# ----------------------------------------------------------------------
def _state(rng, shape, dtype, count):
    return [random(rng, shape, dtype) for _ in range(count)]


SGD_CONFIGS = [dict(momentum=0.0), dict(momentum=0.9), dict(momentum=0.9, nesterov=True),
               dict(momentum=0.8, dampening=0.3, weight_decay=0.01), dict(weight_decay=0.1)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("config", SGD_CONFIGS, ids=str)
@pytest.mark.parametrize("shape", [(0,), (1,), (5, 7), (40000,)])
def test_sgd_step_matches_reference(dtype, config, shape):
    rng = np.random.default_rng(8)
    p, buf, = _state(rng, shape, dtype, 2)
    p_ref, buf_ref = p.astype(np.float64), buf.astype(np.float64)
    for step in range(3):
        g = random(rng, shape, dtype)
        CPU.sgd_step(p, g, buf, 0.1, first_step=step == 0, **config)
        REF.sgd_step(p_ref, g.astype(np.float64), buf_ref, 0.1, first_step=step == 0, **config)
    np.testing.assert_allclose(p, p_ref, rtol=1e-5 if dtype == np.float32 else 1e-13, atol=1e-6)
    if config.get("momentum"):
        np.testing.assert_allclose(buf, buf_ref, rtol=1e-5 if dtype == np.float32 else 1e-13,
                                   atol=1e-6)


ADAM_CONFIGS = [dict(), dict(weight_decay=0.1), dict(weight_decay=0.1, decoupled_weight_decay=True),
                dict(beta1=0.3, beta2=0.5, eps=1e-3)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("config", ADAM_CONFIGS, ids=str)
@pytest.mark.parametrize("shape", [(0,), (1,), (5, 7), (40000,)])
def test_adam_step_matches_reference(dtype, config, shape):
    rng = np.random.default_rng(9)
    p = random(rng, shape, dtype)
    m, v = np.zeros(shape, dtype), np.zeros(shape, dtype)
    p_ref, m_ref, v_ref = p.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
    for step in range(1, 4):
        g = random(rng, shape, dtype)
        CPU.adam_step(p, g, m, v, step, 1e-2, **config)
        REF.adam_step(p_ref, g.astype(np.float64), m_ref, v_ref, step, 1e-2, **config)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for ours, ref in ((p, p_ref), (m, m_ref), (v, v_ref)):
        np.testing.assert_allclose(ours, ref, rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("config", ADAM_CONFIGS, ids=str)
def test_adam_steps_equal_adam_step_per_tensor(dtype, config, threads):
    """One multi-tensor call gives bit-for-bit what adam_step gives tensor by tensor,
    with different step counts per tensor, an empty tensor and one above the
    (test-lowered) parallel threshold."""
    rng = np.random.default_rng(13)
    shapes = [(0,), (1,), (5, 7), (40000,), (3, 2, 4)]
    steps = [1.0, 4.0, 2.0, 7.0, 3.0]
    params = [random(rng, s, dtype) for s in shapes]
    grads = [random(rng, s, dtype) for s in shapes]
    moments = [(random(rng, s, dtype) * 0.1, np.abs(random(rng, s, dtype))) for s in shapes]
    expected = [p.copy() for p in params]
    expected_m = [m.copy() for m, _ in moments]
    expected_v = [v.copy() for _, v in moments]
    for p, g, m, v, step in zip(expected, grads, expected_m, expected_v, steps):
        CPU.adam_step(p, g, m, v, step, 1e-2, **config)
    kw = dict(config)
    CPU.adam_steps(params, grads, [m for m, _ in moments], [v for _, v in moments], steps, 1e-2,
                   kw.pop("beta1", 0.9), kw.pop("beta2", 0.999), kw.pop("eps", 1e-8),
                   kw.pop("weight_decay", 0.0), kw.pop("decoupled_weight_decay", False))
    for i in range(len(shapes)):
        np.testing.assert_array_equal(params[i], expected[i])
        np.testing.assert_array_equal(moments[i][0], expected_m[i])
        np.testing.assert_array_equal(moments[i][1], expected_v[i])


def test_adam_steps_errors_name_the_tensor_and_touch_nothing():
    def lists(n=3, dtype=np.float32):
        ps = [np.ones(4, dtype) for _ in range(n)]
        return ps, [np.ones(4, dtype) for _ in range(n)], [np.zeros(4, dtype) for _ in range(n)], \
            [np.zeros(4, dtype) for _ in range(n)], [1.0] * n

    cases = []
    ps, gs, ms, vs, st_ = lists()
    gs[2] = np.ones(5, np.float32)
    cases.append(((ps, gs, ms, vs, st_), ValueError, r"grads\[2\] must have shape \(4,\)"))
    ps, gs, ms, vs, st_ = lists()
    vs[1] = np.zeros(4)
    cases.append(((ps, gs, ms, vs, st_), ValueError, r"exp_avg_sqs\[1\] must have dtype float32"))
    ps, gs, ms, vs, st_ = lists()
    ms[2] = np.zeros(8, np.float32)[::2]
    cases.append(((ps, gs, ms, vs, st_), ValueError, r"exp_avgs\[2\] must be C-contiguous"))
    ps, gs, ms, vs, st_ = lists()
    ps[1] = np.ones(4, np.float64)
    cases.append(((ps, gs, ms, vs, st_), ValueError, "share one dtype"))
    ps, gs, ms, vs, st_ = lists()
    ps[2] = np.ones(4, np.float32)
    ps[2].flags.writeable = False
    cases.append(((ps, gs, ms, vs, st_), ValueError, r"params\[2\] is read-only"))
    ps, gs, ms, vs, st_ = lists()
    st_[2] = 0.0
    cases.append(((ps, gs, ms, vs, st_), ValueError, r"steps\[2\] must be >= 1"))
    ps, gs, ms, vs, st_ = lists()
    gs[1] = [1.0, 1.0, 1.0, 1.0]
    cases.append(((ps, gs, ms, vs, st_), TypeError, r"grads\[1\] must be a numpy array"))
    ps, gs, ms, vs, st_ = lists()
    cases.append(((ps, gs[:2], ms, vs, st_), ValueError, "equal lengths"))
    ps, gs, ms, vs, st_ = lists(dtype=np.int64)
    cases.append(((ps, gs, ms, vs, st_), ValueError, "float32 or float64"))
    for (ps, gs, ms, vs, st_), exc, match in cases:
        before = [p.copy() for p in ps]
        with pytest.raises(exc, match=match):
            CPU.adam_steps(ps, gs, ms, vs, st_, 1e-3)
        for p, b in zip(ps, before):   # checked before any update
            np.testing.assert_array_equal(p, b)
        for m in ms:
            assert not m.any()


def test_adam_steps_copy_a_strided_gradient():
    p, q = np.ones(4, np.float32), np.ones(4, np.float32)
    g = np.arange(8, dtype=np.float32)[::2]
    CPU.adam_steps([p], [g], [np.zeros(4, np.float32)], [np.zeros(4, np.float32)], [1.0], 1e-2)
    CPU.adam_step(q, g.copy(), np.zeros(4, np.float32), np.zeros(4, np.float32), 1, 1e-2)
    np.testing.assert_array_equal(p, q)


RMSPROP_CONFIGS = [dict(), dict(weight_decay=0.1, momentum=0.9), dict(centered=True),
                   dict(centered=True, momentum=0.5, alpha=0.9)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("config", RMSPROP_CONFIGS, ids=str)
@pytest.mark.parametrize("shape", [(1,), (5, 7), (40000,)])
def test_rmsprop_step_matches_reference(dtype, config, shape):
    rng = np.random.default_rng(10)
    p = random(rng, shape, dtype)
    sq, buf, gavg = (np.zeros(shape, dtype) for _ in range(3))
    p_ref, sq_ref, buf_ref, gavg_ref = (a.astype(np.float64) for a in (p, sq, buf, gavg))
    for _ in range(3):
        g = random(rng, shape, dtype)
        CPU.rmsprop_step(p, g, sq, 1e-2, momentum_buffer=buf, grad_avg=gavg, **config)
        REF.rmsprop_step(p_ref, g.astype(np.float64), sq_ref, 1e-2, momentum_buffer=buf_ref,
                         grad_avg=gavg_ref, **config)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(p, p_ref, rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(sq, sq_ref, rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("dtype", FLOATS)
def test_optimizers_match_torch(torch, dtype, threads):
    """Several steps of each optimizer against torch.optim, to within an ulp or two."""
    rng = np.random.default_rng(11)
    shape = (300, 130)
    grads = [random(rng, shape, dtype) for _ in range(4)]
    init = random(rng, shape, dtype)
    cases = [
        ("sgd", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01, nesterov=False),
         torch.optim.SGD),
        ("sgd", dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True), torch.optim.SGD),
        ("adam", dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05), torch.optim.Adam),
        ("adamw", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05), torch.optim.AdamW),
        ("rmsprop", dict(lr=1e-2, alpha=0.9, eps=1e-8, weight_decay=0.01, momentum=0.5,
                         centered=True), torch.optim.RMSprop),
    ]
    for name, hp, torch_cls in cases:
        t_param = torch.nn.Parameter(torch.tensor(init.copy()))
        opt = torch_cls([t_param], foreach=False, **hp)
        p = init.copy()
        s1, s2, s3 = (np.zeros(shape, dtype) for _ in range(3))
        for step, g in enumerate(grads, start=1):
            t_param.grad = torch.tensor(g)
            opt.step()
            if name == "sgd":
                CPU.sgd_step(p, g, s1, hp["lr"], hp["momentum"], hp.get("dampening", 0.0),
                             hp["weight_decay"], hp["nesterov"], first_step=step == 1)
            elif name in ("adam", "adamw"):
                CPU.adam_step(p, g, s1, s2, step, hp["lr"], *hp["betas"], hp["eps"],
                              hp["weight_decay"], decoupled_weight_decay=name == "adamw")
            else:
                CPU.rmsprop_step(p, g, s1, hp["lr"], hp["alpha"], hp["eps"], hp["weight_decay"],
                                 hp["momentum"], hp["centered"], momentum_buffer=s2, grad_avg=s3)
        # PyTorch's vectorized CPU kernels use FMA where the CPU has it; the
        # kernels here do not (same results on every x86-64), so allow an ulp or two
        np.testing.assert_allclose(p, t_param.detach().numpy(), err_msg=name,
                                   **(dict(rtol=2e-6, atol=1e-6) if dtype == np.float32
                                      else dict(rtol=1e-14, atol=1e-15)))


def test_optimizer_errors():
    p = np.ones(4, np.float32)
    with pytest.raises(ValueError, match="grad must have shape"):
        CPU.sgd_step(p, np.ones(3, np.float32), None, 0.1)
    with pytest.raises(ValueError, match="grad must have dtype"):
        CPU.sgd_step(p, np.ones(4), None, 0.1)
    with pytest.raises(ValueError, match="momentum_buffer is required"):
        CPU.sgd_step(p, p.copy(), None, 0.1, momentum=0.9)
    with pytest.raises(ValueError, match="C-contiguous"):
        q = np.ones((4, 4), np.float32).T
        CPU.sgd_step(q, q.copy(), None, 0.1)
    with pytest.raises(ValueError, match="float32 or float64"):
        CPU.sgd_step(np.ones(4, np.int64), np.ones(4, np.int64), None, 0.1)
    with pytest.raises(ValueError, match="exp_avg_sq must have dtype"):
        CPU.adam_step(p, p.copy(), np.zeros(4, np.float32), np.zeros(4), 1, 1e-3)
    with pytest.raises(ValueError, match="step must be >= 1"):
        CPU.adam_step(p, p.copy(), np.zeros(4, np.float32), np.zeros(4, np.float32), 0, 1e-3)
    with pytest.raises(ValueError, match="grad_avg is required"):
        CPU.rmsprop_step(p, p.copy(), np.zeros(4, np.float32), 1e-2, centered=True)
    read_only = np.ones(4, np.float32)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        CPU.sgd_step(read_only, p, None, 0.1)
    # a non-contiguous grad is fine (it is only read)
    g = np.ones(8, np.float32)[::2]
    CPU.sgd_step(p, g, None, 0.5)
    np.testing.assert_array_equal(p, 0.5)


# ----------------------------------------------------------------------
# threads
# ----------------------------------------------------------------------
def test_thread_counts_give_identical_results():
    rng = np.random.default_rng(12)
    x = random(rng, (257, 300), np.float32, 5.0)
    target = rng.integers(0, 300, size=257)
    g = random(rng, x.shape, np.float32)
    before = _C.get_num_threads()
    thresholds = _C._set_parallel_thresholds(**TEST_PARALLEL_THRESHOLDS)

    def run_all():
        p, m, v = x.copy(), np.zeros_like(x), np.zeros_like(x)
        CPU.adam_step(p, g, m, v, 1, 1e-3)
        loss, lse = CPU.cross_entropy_forward(x, target, "none")
        return [CPU.relu_forward(x), CPU.relu_backward(g, x), CPU.sigmoid_forward(x),
                CPU.softmax_forward(x),
                CPU.log_softmax_forward(x), CPU.softmax_backward(g, CPU.softmax_forward(x)),
                loss, lse, CPU.cross_entropy_backward(np.ones((), np.float32), x, target, lse), p]

    try:
        _C.set_num_threads(1)
        one = run_all()
        _C.set_num_threads(2)
        two = run_all()
    finally:
        _C.set_num_threads(before)
        _C._set_parallel_thresholds(**thresholds)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_set_num_threads():
    before = _C.get_num_threads()
    try:
        _C.set_num_threads(2)
        assert _C.get_num_threads() == (2 if _C.HAVE_OPENMP else 1)
        _C.set_num_threads(1)
        assert _C.get_num_threads() == 1
        with pytest.raises(ValueError, match="positive"):
            _C.set_num_threads(0)
        with pytest.raises(TypeError, match="int"):
            _C.set_num_threads(1.5)
    finally:
        _C.set_num_threads(before)


def test_read_only_and_broadcast_inputs():
    """Inputs NumPy marks read-only (np.broadcast_to views, frozen arrays) are fine to read."""
    rng = np.random.default_rng(14)
    x = random(rng, (6, 5), np.float32)
    x.flags.writeable = False
    w = np.broadcast_to(random(rng, (1, 5), np.float32), (4, 5))  # row stride 0
    np.testing.assert_allclose(CPU.gemm(x, w, trans_b=True), x @ w.T, rtol=1e-5)
    np.testing.assert_allclose(CPU.matmul(x, w.T), x @ w.T, rtol=1e-5)
    np.testing.assert_array_equal(CPU.relu_forward(x), np.maximum(x, 0))
    np.testing.assert_allclose(CPU.softmax_forward(x), REF.softmax_forward(x), rtol=1e-6)
    target = np.arange(6) % 5
    target.flags.writeable = False
    loss, lse = CPU.cross_entropy_forward(x, target)
    lse.flags.writeable = False
    CPU.cross_entropy_backward(np.ones((), np.float32), x, target, lse)
    p = random(rng, (6, 5), np.float32)
    CPU.adam_step(p, x, np.zeros_like(p), np.zeros_like(p), 1, 1e-3)
    assert np.isfinite(p).all()


def test_parallel_thresholds():
    """Threads only for large inputs: a descheduled worker on a busy machine stalls a
    parallel region for ~10 ms, so the MLP-sized kernels must stay on one thread."""
    defaults = _C.parallel.DEFAULT_PARALLEL_THRESHOLDS
    assert _C.parallel.get_parallel_thresholds() == defaults
    elements, row_work = defaults["elements"], defaults["row_work"]
    # (4096, 4096) still runs threaded, elementwise and row-wise
    assert 4096 * 4096 >= elements and 4096 * 4096 >= row_work
    # a 784-128-10 MLP at batch 64: activations, the largest parameter, the logits
    for size in (64 * 128, 128 * 784, 256 * 1024):
        assert size < elements
    for rows, cols in ((64, 10), (256, 10), (256, 1024)):
        assert rows * cols < row_work
    old = _C._set_parallel_thresholds(10, 20)
    try:
        assert old == defaults
        assert _C.parallel.get_parallel_thresholds() == {"elements": 10, "row_work": 20}
        assert _C._set_parallel_thresholds(row_work=5) == {"elements": 10, "row_work": 20}
        assert _C.parallel.get_parallel_thresholds() == {"elements": 10, "row_work": 5}
        with pytest.raises(ValueError, match=">= 0"):
            _C._set_parallel_thresholds(-1)
    finally:
        _C._set_parallel_thresholds(**defaults)
    assert _C.parallel.get_parallel_thresholds() == defaults


def _openblas_thread_count():
    lib = _C._openblas
    getter = getattr(lib, "scipy_openblas_get_num_threads", None) or getattr(
        lib, "openblas_get_num_threads", None)
    if getter is None:
        pytest.skip("SciPy's BLAS is not a bundled OpenBLAS")
    import ctypes
    getter.restype = ctypes.c_int
    return getter()


def test_small_gemm_single_blas_thread_is_restored():
    """Products run on one BLAS thread, split over the kernel threads (one BLAS thread
    each) or on the BLAS's threads (openblas_set_num_threads_local); the configured count
    is back afterwards; the split gives exactly the one-thread bits, the BLAS's threads
    the same numbers."""
    if _C._openblas is None or not hasattr(_C._openblas, "openblas_set_num_threads_local"):
        assert not _C.gemm._has_blas_local_threads()
        pytest.skip("this BLAS has no openblas_set_num_threads_local")
    assert _C.gemm._has_blas_local_threads()
    limit = _C.gemm._get_serial_max_work()
    assert 32 ** 3 < limit <= 64 * 784 * 128   # tiny products serial, the MLP's timed
    rng = np.random.default_rng(20)
    a = random(rng, (64, 784), np.float32)
    b = random(rng, (784, 128), np.float32)
    big_a = random(rng, (300, 300), np.float64)
    before = _C.get_num_threads()
    try:
        for n in (2, 1):
            _C.set_num_threads(n)
            count = _openblas_thread_count()
            results = []
            for mode in (0, 1, 2):     # one BLAS thread, split, the BLAS's threads
                old = _C.gemm._force_gemm_mode(mode)
                try:
                    results.append(CPU.gemm(a, b))
                    assert _openblas_thread_count() == count
                    CPU.matmul(np.ones((3, 8, 8)), np.ones((3, 8, 8)))   # batched
                    assert _openblas_thread_count() == count
                    np.testing.assert_allclose(CPU.gemm(big_a, big_a), big_a @ big_a,
                                               rtol=1e-12, atol=1e-12)
                    assert _openblas_thread_count() == count
                finally:
                    assert _C.gemm._force_gemm_mode(old) == mode
            assert np.array_equal(results[1], results[0])
            np.testing.assert_allclose(results[2], results[0], rtol=1e-4, atol=2e-4)
            np.testing.assert_allclose(results[0], a.astype(np.float64) @ b, rtol=1e-4, atol=2e-4)
    finally:
        _C.set_num_threads(before)
    with pytest.raises(ValueError, match=">= 0"):
        _C.gemm._set_serial_max_work(-1)
    with pytest.raises(ValueError, match="-1, 0, 1 or 2"):
        _C.gemm._force_gemm_mode(3)


def test_split_check_runs_clean_in_a_fresh_process(tmp_path):
    """The once-per-dtype check of where products may be cut runs its test products in a
    scratch buffer; run it in fresh processes under glibc's malloc checking (when the
    debug library is there) so that a write past that buffer crashes or shows as
    results that change from process to process (it once did: a buffer sized for
    smaller test products)."""
    import glob
    import os
    import subprocess
    import sys

    code = ("from autograd import _C\n"
            "print(_C.gemm._split_row_multiple(False), _C.gemm._split_row_multiple(True))")
    # the package these tests import (installed, or the source tree in a development
    # install), run from elsewhere so that the source tree does not shadow an install
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(ag.__file__)))
    env = dict(os.environ, PYTHONPATH=package_parent + os.pathsep + os.environ.get("PYTHONPATH", ""))
    debug = sorted(glob.glob("/lib/x86_64-linux-gnu/libc_malloc_debug.so*")
                   + glob.glob("/usr/lib64/libc_malloc_debug.so*"))
    if debug:
        env["LD_PRELOAD"] = debug[0]
        env["MALLOC_CHECK_"] = "3"
    outputs = set()
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.add(done.stdout.strip())
    assert len(outputs) == 1, outputs


def test_split_products_from_many_threads_and_in_a_forked_child():
    """The split's worker pool runs one product at a time: threads that find it busy do
    their blocks themselves, and every result has the one-thread bits, with the workers
    asleep (after a pause) or awake; a child made by fork() starts its own workers."""
    if not _C.gemm._has_blas_local_threads() or _C.gemm._split_row_multiple(False) < 0:
        pytest.skip("products cannot be split here")
    import os
    import random as pyrandom
    import threading
    import time

    rng = np.random.default_rng(31)
    cases = []
    for m, n, k in [(128, 128, 784), (64, 784, 128), (100, 90, 300)]:
        a = random(rng, (m, k), np.float32)
        b = random(rng, (k, n), np.float32)
        cases.append((a, b, _products_in_mode(0, [lambda a=a, b=b: CPU.gemm(a, b)])[0]))
    errors = []

    def work(seed):
        r = pyrandom.Random(seed)
        for i in range(60):
            a, b, expected = cases[r.randrange(len(cases))]
            if not np.array_equal(CPU.gemm(a, b), expected):
                errors.append((seed, i))
            if r.random() < 0.1:
                time.sleep(r.random() * 0.004)   # long enough for the workers to sleep

    before = _C.get_num_threads()
    old = _C.gemm._force_gemm_mode(1)
    try:
        _C.set_num_threads(2)
        workers = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        _C.set_num_threads(3)
        work(10)
        assert not errors, errors[:5]
        if hasattr(os, "fork"):
            a, b, expected = cases[0]
            pid = os.fork()
            if pid == 0:   # the child: its products must not wait for the parent's workers
                ok = all(np.array_equal(CPU.gemm(a, b), expected) for _ in range(20))
                os._exit(0 if ok else 3)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
    finally:
        _C.gemm._force_gemm_mode(old)
        _C.set_num_threads(before)


def _products_in_mode(mode, calls):
    old = _C.gemm._force_gemm_mode(mode)
    try:
        return [call() for call in calls]
    finally:
        _C.gemm._force_gemm_mode(old)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_products_keep_the_bits(dtype):
    """A product split into blocks of rows over the kernel threads gives exactly the bits
    of one call on one thread, whatever the thread count, transposes, row strides,
    bias (beta = 1) or batch: this is what lets the thread choice be made by timing
    without making runs differ."""
    if not _C.gemm._has_blas_local_threads() or not _C.HAVE_OPENMP:
        pytest.skip("needs openblas_set_num_threads_local and OpenMP")
    multiple = _C.gemm._split_row_multiple(dtype == np.float64)
    if multiple < 0:
        pytest.skip("this BLAS's products change bits when split (no split mode)")
    assert multiple in (4, 8, 12, 16, 24, 48)
    rng = np.random.default_rng(30)
    calls = []
    expected = []
    for m, n, k in [(64, 128, 784), (128, 784, 128), (257, 33, 300), (1000, 20, 60),
                    (40, 900, 300), (30, 700, 100)]:
        for ta, tb in itertools.product((False, True), (False, True)):
            a = random(rng, (k, m) if ta else (m, k), dtype)
            b = random(rng, (n, k) if tb else (k, n), dtype)
            calls.append(lambda a=a, b=b, ta=ta, tb=tb: CPU.gemm(a, b, trans_a=ta, trans_b=tb))
            expected.append((a.T if ta else a).astype(np.float64)
                            @ (b.T if tb else b).astype(np.float64))
    # row slices of a larger array (row stride > row length) and an added bias row
    big = random(rng, (300, 900), dtype)
    w = random(rng, (200, 700), dtype)
    bias = random(rng, (200,), dtype)
    calls.append(lambda: CPU.gemm(big[::2, 100:800], w, trans_b=True))
    expected.append(big[::2, 100:800].astype(np.float64) @ w.T.astype(np.float64))

    def with_bias():
        out = np.repeat(bias[None, :], 300, axis=0)
        CPU.gemm(big[:, :700], w, trans_b=True, beta=1.0, out=out)
        return out

    calls.append(with_bias)
    expected.append(big[:, :700].astype(np.float64) @ w.T.astype(np.float64) + bias)
    # batched, with one operand broadcast over the batch (batch stride 0)
    x = random(rng, (5, 100, 200), dtype)
    y = random(rng, (200, 90), dtype)
    calls.append(lambda: CPU.matmul(x, y))
    expected.append(x.astype(np.float64) @ y.astype(np.float64))
    before = _C.get_num_threads()
    try:
        _C.set_num_threads(1)
        serial = _products_in_mode(0, calls)
        for threads in (2, 3):
            _C.set_num_threads(threads)
            for got, want in zip(_products_in_mode(1, calls), serial):
                assert np.array_equal(got, want)
    finally:
        _C.set_num_threads(before)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    for got, want in zip(serial, expected):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 30)


def _tune(times, shape=(64, 128, 784)):
    """Modes the gemm thread chooser picks when one-thread and threaded calls of a fresh
    shape take ``times[i] = (ns one thread, ns threaded)`` (no product is run)."""
    _C.gemm._reset_gemm_tuning()
    modes = _C.gemm._tune_step(*shape, 1, 0, times)
    (entry,) = [e for e in _C.gemm._gemm_tuning_table() if (e["m"], e["n"], e["k"]) == shape]
    return modes, entry


@pytest.fixture
def tuner():
    if not _C.gemm._has_blas_local_threads():
        pytest.skip("this BLAS has no openblas_set_num_threads_local")
    if not _C.HAVE_OPENMP or _C.gemm._split_row_multiple(False) < 0 \
            or _C.gemm._split_row_multiple(True) < 0:
        pytest.skip("products cannot be split over the kernel threads here")
    was = _C.gemm._set_gemm_tuning(True)
    yield
    _C.gemm._set_gemm_tuning(was)
    _C.gemm._reset_gemm_tuning()


def test_gemm_thread_choice_settles_on_the_faster_mode(tuner):
    """Each shape is timed both ways (alternating, the first call of each not counted)
    and then runs the faster way; threads must win by 10%."""
    modes, entry = _tune([(100, 50)] * 200)           # threads twice as fast
    assert modes[:6] == [0, 1, 0, 1, 0, 1]
    assert modes.count(0) <= 10 and entry["threaded"] and modes[-1] == 1
    modes, entry = _tune([(100, 200)] * 200)          # threads twice as slow
    assert modes.count(1) <= 6 and not entry["threaded"]
    modes, entry = _tune([(100, 95)] * 200)           # 5% faster: not worth the risk
    assert not entry["threaded"] and modes[-50:] == [0] * 50
    assert entry["samples"][0] + entry["samples"][1] == 200
    assert entry["ms"] == pytest.approx((100e-6, 95e-6))


def test_gemm_thread_choice_explorations_are_cheap_on_a_busy_machine(tuner):
    """Threaded calls that stall 50x (a busy core): after the warm-up the other mode is
    tried rarely enough that it costs about 1% of the time, even when 30% of those tries
    are lucky."""
    rng = np.random.default_rng(0)
    times = [(100.0, 50.0 if rng.random() < 0.3 else 5000.0) for _ in range(20000)]
    modes, entry = _tune(times)
    assert not entry["threaded"]
    threaded = [i for i, mode in enumerate(modes) if mode == 1]
    extra = sum(times[i][1] - times[i][0] for i in threaded[3:])   # after the warm-up
    assert extra / (100.0 * len(times)) < 0.03
    assert entry["explore_every"] > 1000


def test_gemm_thread_choice_follows_the_load(tuner):
    """A machine that gets busy sends the shape back to one thread at the first stalled
    call; one that gets quiet is found at the next exploration; a single stall on a quiet
    machine costs a few calls."""
    modes, entry = _tune([(100, 50)] * 300 + [(100, 5000)] * 300)
    assert modes[299] == 1 and modes[301:306] == [0] * 5 and not entry["threaded"]
    modes, entry = _tune([(100, 5000)] * 300 + [(100, 50)] * 30000)
    assert entry["threaded"] and modes[-1000:] == [1] * 1000
    # threaded calls that look slow at first (another process's BLAS workers still
    # spinning): the shape goes threaded within a few hundred calls
    modes, entry = _tune([(100, 5000)] * 30 + [(100, 50)] * 1000)
    assert entry["threaded"] and modes.index(1, 200) < 400 and modes[400:].count(0) < 10
    times = [(100, 50)] * 3000
    times[500] = (100, 5000)
    modes, entry = _tune(times)
    assert modes[500] == 1 and entry["threaded"]
    assert modes[501:3000].count(0) < 20


def test_gemm_thread_choice_keeps_every_shape_of_a_model(tuner):
    """The shapes a training loop takes turns with each keep their own timings (a
    direct-mapped table once made two of the MLP's products evict each other at every
    call, and both stayed untimed on one thread)."""
    _C.gemm._reset_gemm_tuning()
    shapes = [(64 + i, 128 + 7 * i, 784) for i in range(12)] + [(256, 128, 784), (256, 10, 128)]
    shapes = [s for s in shapes if s[0] * s[1] * s[2] >= _C.gemm._get_serial_max_work()]
    for _ in range(20):
        for m, n, k in shapes:
            _C.gemm._tune_step(m, n, k, 1, 2, [(100, 50)])
    table = {(e["m"], e["n"], e["k"]): e for e in _C.gemm._gemm_tuning_table()}
    for shape in shapes:
        assert sum(table[shape]["samples"]) == 20, shape
        assert table[shape]["threaded"]
    # more shapes than the table holds: the least recently used go, the rest stay exact
    for i in range(200):
        _C.gemm._tune_step(1000 + i, 128, 784, 1, 0, [(100, 50)])
    for m, n, k in shapes[:3]:
        _C.gemm._tune_step(m, n, k, 1, 2, [(100, 50)])
    assert len(_C.gemm._gemm_tuning_table()) <= 64
    _C.gemm._reset_gemm_tuning()


def test_gemm_thread_choice_is_on_by_default_and_keeps_the_bits():
    """By default the MLP's products are timed both ways (unless AUTOGRAD_GEMM_AUTOTUNE=0),
    and the results still repeat bit for bit while the chooser alternates the modes, as
    manual_seed promises; set_gemm_autotune(False) stops the timing."""
    was = _C.gemm._set_gemm_tuning(True)
    assert was == _C._AUTOTUNE_FROM_ENV
    assert not ag.are_deterministic_algorithms_enabled()
    _C.gemm._reset_gemm_tuning()
    rng = np.random.default_rng(27)
    a = random(rng, (128, 784), np.float32)
    w = random(rng, (128, 784), np.float32)
    before = _C.get_num_threads()
    try:
        _C.set_num_threads(2)
        first = CPU.gemm(a, w, trans_b=True)
        for _ in range(20):
            assert np.array_equal(CPU.gemm(a, w, trans_b=True), first)
        if _C.gemm._has_blas_local_threads() and _C.HAVE_OPENMP \
                and _C.gemm._split_row_multiple(False) > 0:
            (entry,) = _C.gemm._gemm_tuning_table()
            assert min(entry["samples"]) >= 3      # both modes ran, and gave the same bits
            assert _C.set_gemm_autotune(False) is True
            assert _C.get_gemm_autotune() is False
            assert _C.gemm._gemm_tuning_table() == []
            assert np.array_equal(CPU.gemm(a, w, trans_b=True), first)
            assert _C.gemm._gemm_tuning_table() == []
            assert _C.set_gemm_autotune(True) is False
        else:
            assert _C.gemm._gemm_tuning_table() == []
    finally:
        _C.gemm._set_gemm_tuning(was)
        _C.set_num_threads(before)
    with pytest.raises(TypeError, match="bool"):
        _C.set_gemm_autotune("on")


def test_gemm_thread_choice_real_products(tuner):
    """Real products are timed per shape (batched ones as a whole), give the BLAS's
    result either way, and leave the BLAS thread count as it was; set_num_threads,
    manual_seed and the deterministic switch reset or bypass the timings."""
    rng = np.random.default_rng(26)
    a = random(rng, (64, 784), np.float32)
    w = random(rng, (128, 784), np.float32)
    expected = a.astype(np.float64) @ w.T.astype(np.float64)
    before = _C.get_num_threads()
    try:
        _C.set_num_threads(2)
        assert _C.gemm._gemm_tuning_table() == []
        count = _openblas_thread_count()
        for _ in range(20):
            np.testing.assert_allclose(CPU.gemm(a, w, trans_b=True), expected, rtol=1e-4,
                                       atol=1e-3)
            assert _openblas_thread_count() == count
        CPU.matmul(np.ones((4, 128, 128)), np.ones((4, 128, 128)))  # 4 x 2**21: timed
        CPU.gemm(np.ones((64, 64)), np.ones((64, 64)))               # 2**18: never timed
        table = {(e["m"], e["n"], e["k"], e["batch"], e["flags"]): e
                 for e in _C.gemm._gemm_tuning_table()}
        assert set(table) == {(64, 128, 784, 1, 2), (128, 128, 128, 4, 4)}
        assert sum(table[64, 128, 784, 1, 2]["samples"]) == 20
        assert min(table[64, 128, 784, 1, 2]["samples"]) >= 3
        assert all(ms > 0 for ms in table[64, 128, 784, 1, 2]["ms"])
        ag.manual_seed(0)
        assert _C.gemm._gemm_tuning_table() == []
        ag.use_deterministic_algorithms(True, warn_only=True)
        try:
            assert ag.are_deterministic_algorithms_enabled()
            assert ag.is_deterministic_algorithms_warn_only_enabled()
            first = CPU.gemm(a, w, trans_b=True)
            for _ in range(10):
                assert np.array_equal(CPU.gemm(a, w, trans_b=True), first)
            assert _C.gemm._gemm_tuning_table() == []
        finally:
            ag.use_deterministic_algorithms(False)
        assert not ag.are_deterministic_algorithms_enabled()
        assert not ag.is_deterministic_algorithms_warn_only_enabled()
        CPU.gemm(a, w, trans_b=True)
        assert len(_C.gemm._gemm_tuning_table()) == 1
        _C.set_num_threads(1)
        assert _C.gemm._gemm_tuning_table() == []
    finally:
        _C.set_num_threads(before)
    with pytest.raises(TypeError, match="bool"):
        ag.use_deterministic_algorithms("yes")


def test_concurrent_small_gemms_leave_blas_threads_as_configured():
    """With a process-wide setter (SciPy's pthreads OpenBLAS) threads doing small products
    at once must not restore each other's single-thread setting; threads doing timed
    products (the thread choice's table and its lock) at once get the right numbers."""
    if not _C.gemm._has_blas_local_threads():
        pytest.skip("this BLAS has no openblas_set_num_threads_local")
    import threading

    rng = np.random.default_rng(25)
    a = random(rng, (32, 200), np.float64)
    b = random(rng, (200, 64), np.float64)
    expected = a @ b
    big_a = random(rng, (64, 300), np.float64)
    big_b = random(rng, (300, 96), np.float64)     # 64 * 96 * 300 > 2**20: timed
    big_expected = big_a @ big_b
    before = _C.get_num_threads()
    errors = []

    def work():
        try:
            for i in range(300):
                np.testing.assert_allclose(CPU.gemm(a, b), expected, rtol=1e-12, atol=1e-12)
                if i % 10 == 0:
                    np.testing.assert_allclose(CPU.gemm(big_a, big_b), big_expected,
                                               rtol=1e-12, atol=1e-12)
        except Exception as exc:  # reported below
            errors.append(exc)

    was = _C.gemm._set_gemm_tuning(True)   # the default, unless AUTOGRAD_GEMM_AUTOTUNE=0
    try:
        _C.set_num_threads(2)
        count = _openblas_thread_count()
        workers = [threading.Thread(target=work) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert not errors, errors[0]
        assert _openblas_thread_count() == count
        (entry,) = [e for e in _C.gemm._gemm_tuning_table() if (e["m"], e["n"]) == (64, 96)]
        assert sum(entry["samples"]) == 4 * 30
    finally:
        _C.gemm._set_gemm_tuning(was)
        _C.set_num_threads(before)


def test_gemm_without_thread_local_setter():
    """A BLAS without openblas_set_num_threads_local: products just use its own threading."""
    rng = np.random.default_rng(21)
    a = random(rng, (20, 30), np.float64)
    b = random(rng, (30, 10), np.float64)
    had = _C.gemm._has_blas_local_threads()
    _C.gemm._set_blas_local_threads_fn(0)
    try:
        assert not _C.gemm._has_blas_local_threads()
        np.testing.assert_allclose(CPU.gemm(a, b), a @ b, rtol=1e-12)
    finally:
        assert _C._install_blas_local_threads(_C._openblas) == had
    assert _C.gemm._has_blas_local_threads() == had


# ----------------------------------------------------------------------
# sigmoid and erf
# ----------------------------------------------------------------------
SIGMOID_SPECIALS = [-1000.0, -700.0, -100.0, -87.0, -30.0, -1.0, -1e-8, -0.0, 0.0, 1e-8, 0.5,
                    15.0, 17.0, 40.0, 100.0, 1000.0, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("backend", [CPU, REF], ids=["cpu", "generic"])
def test_sigmoid_forward_against_torch(torch, dtype, backend, threads):
    rng = np.random.default_rng(22)
    x = np.concatenate([random(rng, (3000,), dtype, 8.0), np.array(SIGMOID_SPECIALS, dtype)])
    y = backend.sigmoid_forward(x)
    assert y.dtype == dtype and y.shape == x.shape
    expected = torch.sigmoid(torch.tensor(x)).numpy()
    # outputs below the smallest normal number may flush to 0
    np.testing.assert_allclose(y, expected, rtol=4e-7 if dtype == np.float32 else 1e-15,
                               atol=np.finfo(dtype).tiny)
    assert np.isnan(y[-1])
    assert (y[:-1] >= 0).all() and (y[:-1] <= 1).all()


@SETTINGS
@given(shape=st.lists(st.integers(0, 7), min_size=0, max_size=3).map(tuple), dtype=DTYPES,
       kind=LAYOUTS, seed=st.integers(0, 2**16))
def test_sigmoid_forward_layouts(shape, dtype, kind, seed):
    rng = np.random.default_rng(seed)
    base = random(rng, shape, dtype, 10.0)
    x = layout(base, kind) if base.ndim >= 1 else base
    y = CPU.sigmoid_forward(x)
    assert y.shape == shape and y.dtype == dtype
    np.testing.assert_allclose(y, REF.sigmoid_forward(base.astype(np.float64)), **tol(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,kind", [((64, 128), "c"), ((1, 7), "c"), ((0, 5), "c"),
                                        ((5, 0), "c"), ((33, 17), "f"), ((9, 6), "rows"),
                                        ((1100, 1000), "c")])
def test_relu_backward_bias_is_mask_and_column_sum(dtype, shape, kind):
    """The fused pass gives exactly relu_backward and its sum over rows (NumPy's order),
    NaN and the kinks included; other layouts and large inputs take the two-step path."""
    rng = np.random.default_rng(25)
    grad = layout(random(rng, shape, dtype), kind)
    y = layout(random(rng, shape, dtype), kind)
    if y.size > 4:
        y[0, :2] = [np.nan, 0.0]
        grad[0, 2:4] = np.nan                        # NaN gradient where y <= 0 or y > 0
    g, gb = CPU.relu_backward_bias(grad, y)
    expected = CPU.relu_backward(grad, y)
    np.testing.assert_array_equal(g, expected)
    np.testing.assert_array_equal(gb, expected.sum(axis=0))
    assert g.dtype == gb.dtype == dtype and gb.shape == (shape[1],)


def test_relu_backward_colsum_checks_shapes():
    a = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="do not fit"):
        _C.activations.relu_backward_colsum(a, a, a, np.empty(3, np.float32))
    with pytest.raises(ValueError, match="do not fit"):
        _C.activations.relu_backward_colsum(a, np.ones((4, 3), np.float32), a,
                                            np.empty(4, np.float32))
    g = np.ones((3, 4), np.float32)
    y = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="must not overlap"):          # out is the input
        _C.activations.relu_backward_colsum(g, y, g, np.empty(4, np.float32))
    with pytest.raises(ValueError, match="must not overlap"):          # colsum inside out
        out = np.empty((3, 4), np.float32)
        _C.activations.relu_backward_colsum(g, y, out, out[1])
    out, colsum = np.empty((3, 4), np.float32), np.empty(4, np.float32)
    _C.activations.relu_backward_colsum(g, g, out, colsum)             # inputs may alias
    np.testing.assert_array_equal(colsum, [3, 3, 3, 3])


def _ulps(got, ref_f64, dtype):
    """|got - ref| in units of the spacing at the correctly rounded result (finite entries)."""
    ref = ref_f64.astype(dtype)
    ok = np.isfinite(ref) & np.isfinite(got) & (ref != 0)
    return np.abs(got[ok].astype(np.float64) - ref_f64[ok]) / np.spacing(np.abs(ref[ok]))


@pytest.mark.parametrize("dtype", FLOATS)
def test_exp_forward_accuracy_and_ieee_ends(dtype, threads):
    """exp over the whole range: within an ulp (float32; 3 for float64 against libm), and
    inf / subnormal / 0 / NaN exactly where the correctly rounded result has them."""
    rng = np.random.default_rng(24)
    lo, hi = (-110.0, 90.0) if dtype == np.float32 else (-750.0, 712.0)
    x = np.concatenate([rng.uniform(lo, hi, 60000), rng.uniform(-2, 2, 20000),
                        np.linspace(lo, hi, 20001)]).astype(dtype)
    y = CPU.exp_forward(x)
    assert y.dtype == dtype and y.shape == x.shape
    with np.errstate(over="ignore"):
        if dtype == np.float32:
            ref = np.exp(x.astype(np.float64))       # exact enough to round to float32
            assert _ulps(y, ref, dtype).max() <= 1.0
        else:
            ref = np.exp(x)                          # libm, within an ulp
            assert _ulps(y, ref, dtype).max() <= 3.0
        rounded = ref.astype(dtype)
    np.testing.assert_array_equal(np.isinf(y), np.isinf(rounded))
    np.testing.assert_array_equal(y == 0, rounded == 0)
    tiny = np.finfo(dtype).tiny
    sub = (rounded > 0) & (rounded < tiny)
    assert sub.any() and ((y[sub] > 0) & (y[sub] < tiny)).all()   # subnormals, not flushed
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30], dtype)
    out = CPU.exp_forward(np.concatenate([specials, np.zeros(5000, dtype)]))[:7]
    assert np.isnan(out[0]) and out[1] == np.inf and out[2] == 0
    np.testing.assert_array_equal(out[3:], 1.0)


@SETTINGS
@given(shape=st.lists(st.integers(0, 70), min_size=0, max_size=3).map(tuple), dtype=DTYPES,
       kind=LAYOUTS, seed=st.integers(0, 2**16))
def test_exp_forward_layouts(shape, dtype, kind, seed):
    rng = np.random.default_rng(seed)
    base = random(rng, shape, dtype, 10.0)
    x = layout(base, kind) if base.ndim >= 1 else base
    y = CPU.exp_forward(x)
    assert y.shape == shape and y.dtype == dtype
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(y, np.exp(base.astype(np.float64)), **tol(dtype))
    with np.errstate(over="ignore"):
        expected = np.exp(base.astype(np.float64)).reshape(-1)
    out = base.flatten()                             # a copy: the kernel may write over its input
    _C.activations.exp_forward(out, out)
    np.testing.assert_allclose(out, expected, **tol(dtype))


def test_sigmoid_forward_other_dtypes_and_errors():
    x16 = np.array([-2.0, 0.0, 2.0], np.float16)
    y16 = CPU.sigmoid_forward(x16)
    assert y16.dtype == np.float16
    np.testing.assert_allclose(y16, 1 / (1 + np.exp(-x16.astype(np.float64))), rtol=1e-3)
    np.testing.assert_allclose(CPU.sigmoid_forward(np.float32(0.0)), 0.5)
    with pytest.raises(TypeError, match="sigmoid"):
        CPU.sigmoid_forward([0.0, 1.0])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("backend", [CPU, REF], ids=["cpu", "generic"])
def test_erf_against_torch(torch, dtype, backend):
    rng = np.random.default_rng(23)
    x = np.concatenate([random(rng, (2, 50), dtype, 3.0).ravel(),
                        np.array([0.0, -0.0, 6.0, -6.0, np.inf, -np.inf, np.nan], dtype)])
    y = backend.erf(x)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, torch.erf(torch.tensor(x)).numpy(),
                               rtol=2e-6 if dtype == np.float32 else 1e-14, atol=1e-7)
    assert np.isnan(y[-1])


# ----------------------------------------------------------------------
# cross-entropy where every target is ignored
# ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("backend", [CPU, REF], ids=["cpu", "generic"])
def test_cross_entropy_all_targets_ignored_matches_torch(torch, dtype, reduction,
                                                         label_smoothing, backend):
    """PyTorch: the mean loss is NaN (0 / 0 rows), but the gradient is all zeros."""
    rng = np.random.default_rng(24)
    logits = random(rng, (5, 4), dtype, 3.0)
    target = np.full(5, 7, dtype=np.int64)
    loss, lse = backend.cross_entropy_forward(logits, target, reduction, 7, label_smoothing)
    t_logits = torch.tensor(logits, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.tensor(target), reduction=reduction,
                                               ignore_index=7, label_smoothing=label_smoothing)
    np.testing.assert_allclose(loss, t_loss.detach().numpy(), equal_nan=True)
    grad = np.ones((5,) if reduction == "none" else (), dtype)
    t_loss.backward(torch.tensor(grad))
    dx = backend.cross_entropy_backward(grad, logits, target, lse, reduction, 7, label_smoothing)
    assert dx.dtype == dtype and dx.shape == logits.shape
    np.testing.assert_array_equal(dx, t_logits.grad.numpy())
    np.testing.assert_array_equal(dx, 0)


# ----------------------------------------------------------------------
# broadcast_to (the view every reduction's backward returns)
# ----------------------------------------------------------------------
@pytest.mark.parametrize("in_shape,shape", [
    ((), (3, 4)), ((1,), (5,)), ((3, 1), (2, 3, 4)), ((2, 3), (2, 3)), ((1, 1), (0, 1)),
    ((4,), (3, 4)), ((0,), (2, 0)), ((2,), (3,)), ((3, 1), (3, 0)), ((), ()), ((1,), ()),
    ((2, 1, 3), (4, 2, 5, 3)), ((3,), (0, 3))])
@pytest.mark.parametrize("layout_kind", ["c", "f"])
def test_broadcast_to_matches_numpy(in_shape, shape, layout_kind):
    rng = np.random.default_rng(14)
    x = layout(random(rng, in_shape, np.float32), layout_kind) if in_shape else np.array(1.5, np.float32)
    try:
        ref = np.broadcast_to(x, shape)
    except ValueError:
        with pytest.raises(ValueError):
            CPU.broadcast_to(x, shape)
        return
    got = CPU.broadcast_to(x, shape)
    assert got.shape == ref.shape and got.strides == ref.strides and got.dtype == ref.dtype
    np.testing.assert_array_equal(got, ref)
    assert not got.flags.writeable          # a view of x: writing through it would alias
    if got.size:
        assert np.shares_memory(got, x)


# ----------------------------------------------------------------------
# full sums
# ----------------------------------------------------------------------
@SETTINGS
@given(shape=st.lists(st.integers(0, 70), min_size=0, max_size=3).map(tuple), dtype=DTYPES,
       kind=LAYOUTS, scale=st.sampled_from([1.0, 1e30]), seed=st.integers(0, 2**31))
def test_sum_all_is_numpy_sum_bit_for_bit(shape, dtype, kind, scale, seed):
    rng = np.random.default_rng(seed)
    base = random(rng, shape, dtype, scale)
    x = layout(base, kind) if len(shape) >= 1 and 0 not in shape else base
    out = CPU.sum_all(x)
    expected = x.sum()
    assert type(out) is np.ndarray and out.shape == () and out.dtype == dtype
    assert out.tobytes() == np.asarray(expected).tobytes()   # same bits (NaN, inf, -0 alike)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sum_all_sizes_and_special_values(dtype):
    rng = np.random.default_rng(0)
    for n in list(range(0, 300)) + [1023, 4097, 8192, 65536 + 3, 70001]:
        x = random(rng, n, dtype)
        assert CPU.sum_all(x).tobytes() == np.asarray(x.sum()).tobytes(), n
    assert CPU.sum_all(np.array([-0.0, -0.0], dtype)).tobytes() == np.array(0.0, dtype).tobytes()
    assert np.isnan(CPU.sum_all(np.array([1.0, np.nan, 2.0], dtype)))
    assert np.isnan(CPU.sum_all(np.array([np.inf, -np.inf], dtype)))
    assert CPU.sum_all(np.full(20, np.finfo(dtype).max, dtype)) == np.inf


def test_sum_contiguous_declines_what_it_cannot_sum():
    kernel = _C.reductions.sum_contiguous
    x = np.arange(12.0).reshape(3, 4)
    assert kernel(x[:, ::2]) is None                         # not contiguous
    assert kernel(np.arange(6)) is None                      # not float
    assert kernel(np.ones(3, np.float16)) is None
    assert kernel(np.ones(4, dtype=">f8")) is None           # byte-swapped
    assert kernel([1.0, 2.0]) is None                        # not an array
    assert kernel(x).item() == 66.0 and kernel(np.asfortranarray(x)).item() == 66.0
    # and the backend answers all of them through NumPy
    assert CPU.sum_all(x[:, ::2]).item() == x[:, ::2].sum()
    assert CPU.sum_all(np.arange(6)).item() == 15
    assert CPU.sum_all(np.ones(4, dtype=">f8")).item() == 4.0
    assert CPU.sum_all(np.ones(3, np.float32), dtype=np.float64).dtype == np.float64


def test_map_new_keeps_layout_and_declines_other_inputs():
    A = _C.activations
    rng = np.random.default_rng(3)
    for dtype in FLOATS:
        base = random(rng, (5, 7), dtype)
        for x in (base, np.asfortranarray(base), base[:1, :1].copy(), base.reshape(-1)):
            for op, ref in ((A.RELU, np.maximum(x, 0)), (A.EXP, np.exp(x)),
                            (A.SIGMOID, 1 / (1 + np.exp(-x)))):
                y = A.map_new(op, x)
                assert y.dtype == dtype and y.shape == x.shape
                assert y.flags.c_contiguous == x.flags.c_contiguous
                assert y.flags.f_contiguous == x.flags.f_contiguous
                np.testing.assert_allclose(y, ref, **tol(dtype))
        assert A.map_new(A.EXP, np.zeros((0, 3), dtype)).shape == (0, 3)
        assert A.map_new(A.RELU, base[:, ::2]) is None              # strided
        assert A.map_new(A.RELU, base.astype(base.dtype.newbyteorder())) is None
    assert A.map_new(A.RELU, np.arange(4)) is None                   # not float
    assert A.map_new(A.RELU, np.float32(1.0)) is None                # not an array
    with pytest.raises(ValueError, match="unknown operation"):
        A.map_new(7, np.ones(3))
