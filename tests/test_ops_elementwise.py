"""Table-driven checks of the elementwise ops (rows in tests/op_table.py).

Each row and shape case: forward and gradients against PyTorch (float64,
skipped without torch), gradcheck, gradgradcheck where claimed, and the same
on non-contiguous (transposed) leaves.
"""

import pytest

from op_table import ELEMENTWISE, table_tests

test_elementwise_op, test_elementwise_op_noncontiguous = table_tests(ELEMENTWISE)


# --------------------------------------------------------------------------
# gradients at kinks and ties, against PyTorch's conventions
# --------------------------------------------------------------------------
import numpy as np  # noqa: E402

import autograd as ag  # noqa: E402

KINK_CASES = [
    ("abs_at_0", lambda L, x: L.abs(x), [0.0, -1.0, 2.0]),
    ("sign_at_0", lambda L, x: L.sign(x), [0.0, -1.0, 2.0]),
    ("relu_at_0", lambda L, x: L.relu(x), [0.0, -1.0, 2.0]),
    ("sqrt_at_0", lambda L, x: L.sqrt(x), [0.0, 4.0]),
    ("clamp_boundary", lambda L, x: L.clamp(x, 1.0, 2.0), [1.0, 2.0, 0.5, 1.5, 3.0]),
    ("clamp_min_boundary", lambda L, x: x.clamp(min=1.0), [1.0, 0.0, 2.0]),
    ("pow_at_0", lambda L, x: x ** 2.5, [0.0, 1.0]),
    ("pow0_at_0", lambda L, x: x ** 0, [0.0, 1.0]),
    ("max_ties", lambda L, x: x.max(), [1.0, 3.0, 3.0]),
    ("min_ties", lambda L, x: x.min(), [2.0, 1.0, 1.0, 1.0]),
    ("norm_at_0", lambda L, x: x.norm(), [0.0, 0.0]),
    ("std_at_0", lambda L, x: x.std(), [2.0, 2.0, 2.0]),
    ("prod_one_zero", lambda L, x: x.prod(), [2.0, 0.0, 3.0]),
    ("prod_two_zeros", lambda L, x: x.prod(), [0.0, 0.0, 3.0]),
    ("leaky_relu_at_0", lambda L, x: (ag.leaky_relu if L is ag else L.nn.functional.leaky_relu)(
        x, 0.2), [0.0, -1.0, 1.0]),
]


@pytest.mark.parametrize("name,fn,values", KINK_CASES, ids=[c[0] for c in KINK_CASES])
def test_gradient_conventions_match_torch(name, fn, values, torch):
    x = ag.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    fn(ag, x).sum().backward()
    fn(torch, t).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_ties_with_dim_and_binary(torch):
    vals = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]
    for fn in (lambda L, x: x.max(1)[0], lambda L, x: x.min(dim=0).values,
               lambda L, x: L.maximum(x, x.flip(1)), lambda L, x: L.minimum(x, x * 0 + 2.0),
               lambda L, x: x.amax(1), lambda L, x: x.norm(p=float("inf"), dim=1)):
        x = ag.tensor(vals, requires_grad=True)
        t = torch.tensor(vals, requires_grad=True)
        (fn(ag, x) * ag.tensor(1.5)).sum().backward()
        (fn(torch, t) * 1.5).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)
    assert ag.tensor(vals).argmax(1).tolist() == [1, 0]
    assert ag.tensor(vals).argmin().item() == 5


def test_prod_with_zeros_along_dim(torch):
    vals = [[0.0, 2.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 4.0]]
    x = ag.tensor(vals, requires_grad=True)
    t = torch.tensor(vals, requires_grad=True)
    x.prod(1).sum().backward()
    t.prod(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


# --------------------------------------------------------------------------
# broadcasting over random shapes (hypothesis)
# --------------------------------------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402


@st.composite
def broadcastable_pair(draw):
    ndim = draw(st.integers(0, 3))
    base = [draw(st.integers(1, 3)) for _ in range(ndim)]
    a = [s if draw(st.booleans()) else 1 for s in base]
    b = [s if draw(st.booleans()) else 1 for s in base]
    a = a[draw(st.integers(0, ndim)):]
    b = b[draw(st.integers(0, ndim)):]
    return tuple(a), tuple(b)


@settings(max_examples=40, deadline=None)
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div", "maximum", "pow"]))
def test_broadcast_gradients_match_numpy_reference(shapes, op):
    sa, sb = shapes
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2.0, sa)
    b = rng.uniform(0.5, 2.0, sb)
    x = ag.tensor(a, requires_grad=True)
    y = ag.tensor(b, requires_grad=True)
    fn = {"add": lambda p, q: p + q, "sub": lambda p, q: p - q, "mul": lambda p, q: p * q,
          "div": lambda p, q: p / q, "maximum": ag.maximum, "pow": lambda p, q: p ** q}[op]
    out = fn(x, y)
    np_out = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b,
              "maximum": np.maximum(a, b), "pow": a ** b}[op]
    assert out.shape == np_out.shape
    np.testing.assert_allclose(out.detach().numpy(), np_out)
    out.sum().backward()
    assert x.grad.shape == sa and y.grad.shape == sb
    assert ag.gradcheck(fn, (x.detach().requires_grad_(), y.detach().requires_grad_()))
