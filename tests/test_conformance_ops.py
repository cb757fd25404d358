"""PyTorch-conformance checks for elementwise ops, reductions and factories (audit fixes):
integer and bool ``**``, bool arithmetic errors, mixed-dtype comparisons, scalar ** tensor
gradients at c <= 0, ``where`` with two numbers, empty ``dim`` lists, prod double
backward with zeros, nan gradients of max/min, empty reductions, sign/square of bool and
the factories' keyword forms."""

import math

import numpy as np
import pytest

import autograd as ag


def _err(fn):
    try:
        fn()
    except Exception as exc:   # noqa: BLE001 - the type is what is compared
        return exc
    return None


def _same(ours, ref):
    """ag result vs torch result: values, dtype name and shape."""
    assert tuple(ours.shape) == tuple(ref.shape)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())


# ----------------------------------------------------------------------
# 1. integer ** with negative exponents
# ----------------------------------------------------------------------
def test_int_pow_negative_tensor_exponents():
    out = ag.tensor([2, 1, -1, 3, 0, -2, -1]) ** ag.tensor([-1, -2, -3, 2, -1, -2, -2])
    assert out.dtype == ag.int64
    assert out.tolist() == [0, 1, -1, 9, 0, 0, 1]
    assert (ag.tensor([2, 1]) ** ag.tensor(-1)).tolist() == [0, 1]
    assert ag.pow(ag.tensor([2, 1]), ag.tensor([-1, 2])).tolist() == [0, 1]
    i32 = ag.tensor([2, 1], dtype=ag.int32) ** ag.tensor([-1, -1], dtype=ag.int32)
    assert i32.dtype == ag.int32 and i32.tolist() == [0, 1]


def test_int_rpow_negative_exponents():
    assert (2 ** ag.tensor([-1, 0, 3])).tolist() == [0, 1, 8]
    assert ((-1) ** ag.tensor([-1, -2, 3])).tolist() == [-1, 1, -1]
    assert (1 ** ag.tensor([-5, 0])).tolist() == [1, 1]
    assert ag.pow(0, ag.tensor([-1, 0, 3])).tolist() == [0, 1, 0]
    assert (2 ** ag.tensor([-1, 0, 3])).dtype == ag.int64


def test_int_pow_negative_python_int_raises_runtime_error():
    for fn in (lambda: ag.tensor([2, 1]) ** -1, lambda: ag.tensor([2, 1]).pow(-2),
               lambda: ag.tensor([True, False]) ** -1,
               lambda: ag.tensor([2, 1], dtype=ag.uint8) ** -1):
        with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
            fn()
    with pytest.raises(ValueError):   # still a ValueError too
        ag.tensor([2, 1]) ** -1
    # float exponents and float tensors are unaffected
    assert (ag.tensor([2, 1]) ** -1.0).tolist() == [0.5, 1.0]


def test_pow_broadcast_error_is_still_a_shape_error():
    with pytest.raises(RuntimeError, match="broadcast"):
        ag.tensor([1, 2, 3]) ** ag.tensor([1, 2])


def test_int_pow_matches_torch(torch):
    base = [2, 1, -1, 3, 0, -2, 5]
    exps = [-1, -2, -3, 2, -1, -2, 0]
    _same(ag.tensor(base) ** ag.tensor(exps), torch.tensor(base) ** torch.tensor(exps))
    _same(3 ** ag.tensor(exps), 3 ** torch.tensor(exps))
    _same(ag.tensor([True, False]) ** ag.tensor([-1, -1]),
          torch.tensor([True, False]) ** torch.tensor([-1, -1]))


# ----------------------------------------------------------------------
# 2. comparisons promote mixed tensor dtypes
# ----------------------------------------------------------------------
def test_compare_promotes_mixed_dtypes():
    assert (ag.tensor([0.1]) == ag.tensor(0.1, dtype=ag.float64)).tolist() == [True]
    assert (ag.tensor(0.1, dtype=ag.float64) == ag.tensor([0.1])).tolist() == [True]
    assert (ag.tensor([0.1]) == np.array(0.1)).tolist() == [True]
    assert (ag.tensor([16777217]) == ag.tensor([16777216.0])).tolist() == [True]
    assert (ag.tensor([1], dtype=ag.int32) == ag.tensor(2 ** 32 + 1)).tolist() == [True]
    assert (ag.tensor([0.1]) != ag.tensor([0.1], dtype=ag.float64)).tolist() == [True]
    assert (ag.tensor([0.1]) < ag.tensor(0.1, dtype=ag.float64)).tolist() == [False]
    assert (ag.tensor([0.1]) >= ag.tensor(0.1, dtype=ag.float64)).tolist() == [True]
    # both 0-d: plain promotion to float64
    assert not bool(ag.tensor(0.1) == ag.tensor(0.1, dtype=ag.float64))


# ----------------------------------------------------------------------
# 3. bool arithmetic
# ----------------------------------------------------------------------
B = [True, False]


@pytest.mark.parametrize("fn", [
    lambda b: b - ag.tensor([1, 2]), lambda b: b - 1, lambda b: 1 - b, lambda b: b - 1.5,
    lambda b: ag.tensor([1.0, 2.0]) - b, lambda b: ag.tensor([1.0, 2.0]) - True,
    lambda b: ag.tensor([1, 2]) - True, lambda b: True - ag.tensor([1.0, 2.0]),
    lambda b: b.sub(1), lambda b: ag.sub(ag.tensor([1.0, 2.0]), b, alpha=2),
], ids=["b-i", "b-1", "1-b", "b-1.5", "f-b", "f-True", "i-True", "True-f", "b.sub", "alpha"])
def test_bool_subtraction_raises(fn):
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        fn(ag.tensor(B))


def test_bool_minus_bool_message():
    for fn in (lambda b: b - ag.tensor([True, True]), lambda b: b - True):
        with pytest.raises(RuntimeError, match="with two bool tensors"):
            fn(ag.tensor(B))


@pytest.mark.parametrize("fn,op", [
    (lambda b: b // ag.tensor([True, True]), "div_floor_cpu"),
    (lambda b: b // True, "div_floor_cpu"), (lambda b: True // b, "div_floor_cpu"),
    (lambda b: b % ag.tensor([True, True]), "remainder_cpu"),
    (lambda b: b % True, "remainder_cpu"), (lambda b: True % b, "remainder_cpu"),
    (lambda b: b ** ag.tensor([True, True]), "pow"), (lambda b: b ** ag.tensor(True), "pow"),
    (lambda b: True ** b, "pow"),
])
def test_bool_floordiv_mod_pow_not_implemented(fn, op):
    exc = _err(lambda: fn(ag.tensor(B)))
    assert isinstance(exc, NotImplementedError) and isinstance(exc, RuntimeError)
    assert f'"{op}" not implemented for \'Bool\'' in str(exc)


def test_bool_arithmetic_dtypes():
    b = ag.tensor(B)
    assert (b ** True).dtype == ag.bool and (b ** True).tolist() == B
    assert (b ** False).dtype == ag.bool and (b ** False).tolist() == [True, True]
    cases = {
        "b//2": (b // 2, ag.int64, [0, 0]), "b%2": (b % 2, ag.int64, [1, 0]),
        "b**2": (b ** 2, ag.int64, [1, 0]), "b**1.5": (b ** 1.5, ag.float32, [1.0, 0.0]),
        "2**b": (2 ** b, ag.int64, [2, 1]), "2.5**b": (2.5 ** b, ag.float32, [2.5, 1.0]),
        "b//1.5": (b // 1.5, ag.float32, [0.0, 0.0]), "b%1.5": (b % 1.5, ag.float32, [1.0, 0.0]),
        "b**i": (b ** ag.tensor([1, 2]), ag.int64, [1, 0]),
        "i**b": (ag.tensor([1, 2]) ** b, ag.int64, [1, 1]),
    }
    for name, (out, dt, vals) in cases.items():
        assert out.dtype == dt, name
        assert out.tolist() == vals, name


def test_bool_arithmetic_matches_torch(torch):
    ops = [lambda b: b // 2, lambda b: b % 2, lambda b: b ** 2, lambda b: b ** 1.5,
           lambda b: 2 ** b, lambda b: 2.5 ** b, lambda b: b // 1.5, lambda b: b ** True,
           lambda b: b ** False, lambda b: b.pow(1), lambda b: b ** 0]
    for op in ops:
        _same(op(ag.tensor(B)), op(torch.tensor(B)))


# ----------------------------------------------------------------------
# 4. scalar ** tensor backward at c <= 0
# ----------------------------------------------------------------------
def test_rpow_backward_negative_and_zero_base():
    x = ag.tensor([0.0, 1.0, 0.5], requires_grad=True)
    ((-2.0) ** x).sum().backward()
    assert all(math.isnan(v) for v in x.grad.tolist())
    x = ag.tensor([0.0, 1.0, -2.0, 0.5], requires_grad=True)
    (0.0 ** x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, -math.inf, 0.0]
    x = ag.tensor([0.0, 1.0, -2.0], requires_grad=True)
    ag.pow(0, x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, -math.inf]


def test_rpow_backward_matches_torch(torch):
    vals = [0.0, 1.0, 0.5, -2.0, float("nan")]
    for c in (-2.0, -1, 0.0, 0, 2.0):
        x = ag.tensor(vals, requires_grad=True)
        (c ** x).sum().backward()
        tx = torch.tensor(vals, requires_grad=True)
        (c ** tx).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


# ----------------------------------------------------------------------
# 5. where with two Python numbers
# ----------------------------------------------------------------------
def test_where_two_python_scalars_default_dtypes():
    c = ag.tensor(B)
    assert ag.where(c, 1.0, 0.0).dtype == ag.float32
    assert ag.where(c, 1, 0).dtype == ag.int64
    assert ag.where(c, 1, 0.0).dtype == ag.float32
    assert ag.where(c, True, False).dtype == ag.bool
    assert ag.where(c, True, 0).dtype == ag.int64
    assert ag.where(c, 1.0, 0.0).tolist() == [1.0, 0.0]
    # a number with a tensor follows the tensor
    assert ag.where(c, ag.tensor([1.0, 2.0], dtype=ag.float64), 0.0).dtype == ag.float64
    prev = ag.get_default_dtype()
    ag.set_default_dtype(ag.float64)
    try:
        assert ag.where(c, 1.0, 0.0).dtype == ag.float64
    finally:
        ag.set_default_dtype(prev)


# ----------------------------------------------------------------------
# 6. dim=() / dim=[] reduce every dim
# ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "norm", "amax", "amin",
                                  "logsumexp"])
@pytest.mark.parametrize("dim", [(), []])
def test_empty_dim_reduces_all(name, dim):
    data = [[1.0, 3.0], [2.0, 5.0]]
    x = ag.tensor(data)
    out = getattr(x, name)(dim=dim) if hasattr(x, name) else getattr(ag, name)(x, dim=dim)
    full = getattr(ag, name)(x, dim=(0, 1))
    assert tuple(out.shape) == ()
    np.testing.assert_allclose(out.numpy(), full.numpy(), rtol=1e-6)
    kept = getattr(ag, name)(x, dim=dim, keepdim=True)
    assert tuple(kept.shape) == (1, 1)


def test_empty_dim_matches_torch(torch):
    data = [[1.0, 3.0], [2.0, 5.0]]
    for name in ("sum", "mean", "var", "std", "norm", "amax", "amin"):
        ours = getattr(ag.tensor(data), name)(dim=[])
        ref = getattr(torch.tensor(data), name)(dim=[])
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)
    # all / any reduce nothing for an empty dim list (PyTorch)
    assert tuple(ag.tensor(data).all(dim=()).shape) == (2, 2)
    x = ag.tensor(data, requires_grad=True)
    x.sum(dim=()).backward()
    assert x.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]


# ----------------------------------------------------------------------
# 7. prod with zeros under create_graph
# ----------------------------------------------------------------------
def test_prod_double_backward_with_zero():
    x = ag.tensor([0.0, 2.0, 3.0], requires_grad=True)
    (g,) = ag.grad(x.prod(), x, create_graph=True)
    assert g.tolist() == [6.0, 0.0, 0.0]
    (h,) = ag.grad(g.sum(), x)
    assert h.tolist() == [5.0, 3.0, 2.0]


def test_prod_double_backward_with_zeros_matches_torch(torch):
    def run(L, vals, dim):
        grad = torch.autograd.grad if L is torch else ag.grad
        x = L.tensor(vals, requires_grad=True, dtype=L.float64)
        p = x.prod() if dim is None else x.prod(dim).sum()
        (g,) = grad(p, x, create_graph=True)
        (h,) = grad((g * L.tensor(vals, dtype=L.float64).sin()).sum(), x, create_graph=True)
        (t,) = grad(h.sum(), x)
        return g.detach().numpy(), h.detach().numpy(), t.numpy()
    for vals, dim in [([0.0, 2.0, 3.0], None), ([0.0, 0.0, 3.0], None),
                      ([[0.0, 2.0, 3.0], [1.0, 0.0, 2.0]], 1),
                      ([[0.0, 2.0, 3.0], [1.0, 0.0, 2.0]], 0), ([[0.0, 2.0], [1.0, 0.0]], None)]:
        for a, b in zip(run(ag, vals, dim), run(torch, vals, dim)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_prod_gradgradcheck_with_zero():
    x = ag.tensor([0.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    assert ag.gradgradcheck(lambda t: t.prod(), (x,))


# ----------------------------------------------------------------------
# 8. max()/min() gradient goes to the nan
# ----------------------------------------------------------------------
def test_max_min_nan_gradient():
    nan = math.nan
    for fn in ("max", "min"):
        x = ag.tensor([nan, 1.0, 1.0], requires_grad=True)
        getattr(x, fn)().backward()
        assert x.grad.tolist() == [1.0, 0.0, 0.0]
        x = ag.tensor([nan, 1.0, nan], requires_grad=True)
        getattr(x, fn)().backward()
        assert x.grad.tolist() == [0.5, 0.0, 0.5]
    # ties without nan are unchanged
    x = ag.tensor([3.0, 1.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.5, 0.0, 0.5]


def test_max_nan_gradient_off_the_cpu():
    from device_util import register_strict
    device = register_strict()
    for vals, expected in (([math.nan, 1.0, 1.0], [1.0, 0.0, 0.0]),
                           ([math.nan, 1.0, math.nan], [0.5, 0.0, 0.5]),
                           ([3.0, 1.0, 3.0], [0.5, 0.0, 0.5])):
        x = ag.tensor(vals, requires_grad=True, device=device)
        x.max().backward()
        assert x.grad.cpu().tolist() == expected


def test_amax_nan_gradient_matches_torch(torch):
    nan = float("nan")
    for vals, call in [([[nan, 1.0, nan], [1.0, 2.0, 2.0]], lambda t: t.amax(dim=1).sum()),
                       ([nan, 1.0, 1.0], lambda t: t.amax()),
                       ([[nan, 1.0], [1.0, nan]], lambda t: t.max())]:
        x = ag.tensor(vals, requires_grad=True)
        call(x).backward()
        tx = torch.tensor(vals, requires_grad=True)
        call(tx).backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


# ----------------------------------------------------------------------
# 11. exception types and bool dtypes
# ----------------------------------------------------------------------
def test_argmax_empty_raises_index_error():
    for fn in ("argmax", "argmin"):
        with pytest.raises(IndexError, match="Expected reduction dim to be specified"):
            getattr(ag.tensor([]), fn)()
        with pytest.raises(IndexError, match="reduction dim 0 to have non-zero size"):
            getattr(ag.zeros(0, 3), fn)(dim=0)
        assert tuple(getattr(ag.zeros(0, 3), fn)(dim=1).shape) == (0,)


def test_amax_empty_errors():
    for fn in ("amax", "amin"):
        with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
            getattr(ag.tensor([]), fn)()
        with pytest.raises(IndexError, match="reduction dim 0 to have non-zero size"):
            getattr(ag.zeros(0, 3), fn)(dim=0)
        assert tuple(getattr(ag.zeros(0, 3), fn)(dim=1).shape) == (0,)


def test_empty_reduction_errors_match_torch(torch):
    calls = [lambda L: L.empty(0).argmax(), lambda L: L.empty(0).argmin(),
             lambda L: L.empty(0).amax(), lambda L: L.empty(0).amin(),
             lambda L: L.empty(0, 3).amax(dim=0), lambda L: L.empty(0, 3).argmax(dim=0)]
    for call in calls:
        ref = _err(lambda: call(torch))
        ours = _err(lambda: call(ag))
        assert ref is not None and isinstance(ours, type(ref)), (ref, ours)


def test_sign_square_abs_of_bool():
    b = ag.tensor([True, False])
    s = ag.sign(b)
    assert s.dtype == ag.bool and s.tolist() == [True, False]
    q = ag.square(b)
    assert q.dtype == ag.int64 and q.tolist() == [1, 0]
    assert b.square().dtype == ag.int64
    with pytest.raises(NotImplementedError):
        ag.abs(b)
    assert ag.square(ag.tensor([1, 2], dtype=ag.int32)).dtype == ag.int32


# ----------------------------------------------------------------------
# 10. factories: size=, arange(end=)
# ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_size_keyword(name):
    fn = getattr(ag, name)
    assert tuple(fn(size=(2, 3)).shape) == (2, 3)
    assert tuple(fn(size=[4]).shape) == (4,)
    assert tuple(fn(size=()).shape) == ()
    assert tuple(fn(2, 3).shape) == (2, 3)
    assert fn(size=(2,), dtype=ag.float64).dtype == ag.float64
    with pytest.raises(TypeError, match="multiple values for argument 'size'"):
        fn(2, size=(2, 3))


def test_full_randint_keywords():
    t = ag.full(size=(2,), fill_value=3)
    assert t.dtype == ag.int64 and t.tolist() == [3, 3]
    assert tuple(ag.randint(low=0, high=3, size=(4,)).shape) == (4,)
    r = ag.randint(high=3, size=(50,))
    assert tuple(r.shape) == (50,) and 0 <= int(r.min()) and int(r.max()) < 3
    assert tuple(ag.randint(3, size=(4,)).shape) == (4,)


def test_arange_keywords():
    assert ag.arange(end=4).tolist() == [0, 1, 2, 3]
    assert ag.arange(end=4).dtype == ag.int64
    assert ag.arange(start=1, end=4).tolist() == [1, 2, 3]
    assert ag.arange(1, end=4).tolist() == [1, 2, 3]
    out = ag.arange(start=1, end=4, step=0.5)
    assert out.dtype == ag.float32 and out.tolist() == [1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    with pytest.raises(TypeError):
        ag.arange()
    with pytest.raises(TypeError):
        ag.arange(4, start=1)


def test_argmax_of_bool_raises_like_torch():
    for fn in ("argmax", "argmin"):
        with pytest.raises(RuntimeError, match="does not support bool input"):
            getattr(ag.tensor([True, False]), fn)()
