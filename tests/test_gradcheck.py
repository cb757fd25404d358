"""ag.gradcheck / ag.gradgradcheck themselves."""

import numpy as np
import pytest

import autograd as ag


def test_gradcheck_passes_on_correct_ops():
    x = ag.randn(2, 3, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda t: (t.exp() * t).sum(1), (x,))
    assert ag.gradgradcheck(lambda t: (t.exp() * t).sum(1), (x,))


def test_gradcheck_converts_float32_inputs_to_float64():
    x = ag.randn(3, requires_grad=True)
    assert ag.gradcheck(lambda t: t.sin(), (x,))
    assert x.dtype == ag.float32


def test_gradcheck_reports_worst_element():
    class Wrong(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            scale = ag.tensor([1.0, 1.0, 5.0], dtype=g.dtype)
            return g * scale   # wrong: should be 2x

    x = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(Wrong.apply, (x,))
    msg = str(info.value)
    assert "input position (1,)" in msg or "input position (2,)" in msg
    assert "numerical" in msg and "analytical" in msg
    assert "4.0" in msg or "6.0" in msg
    assert ag.gradcheck(Wrong.apply, (x,), raise_exception=False) is False


def test_gradgradcheck_catches_wrong_double_backward():
    class NoGraph(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            # wrong second derivative: the 3 x^2 factor is treated as a constant
            return g * ag.tensor(3 * x.detach().numpy() ** 2)

    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(NoGraph.apply, (x,))
    with pytest.raises(ag.GradcheckError):
        ag.gradgradcheck(NoGraph.apply, (x,))


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError):
        ag.gradcheck(lambda t: t * 2, (ag.ones(2),))


def test_gradcheck_multiple_inputs_and_outputs():
    a = ag.randn(2, dtype=ag.float64, requires_grad=True)
    b = ag.randn(2, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda x, y: (x * y, x + y.exp()), (a, b))
    assert ag.gradgradcheck(lambda x, y: (x * y, x + y.exp()), (a, b))


def test_gradcheck_non_tensor_args_pass_through():
    a = ag.randn(3, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda x, k: x * k, (a, 2.5))
    assert np.isfinite(a.detach().numpy()).all()
