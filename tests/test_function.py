"""Custom operations through ag.Function (PyTorch's contract)."""

import numpy as np
import pytest

import autograd as ag


class Cube(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class ScaleBy(ag.Function):
    """Two inputs, one of them a Python number."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x * factor

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.factor, None


class SplitSigns(ag.Function):
    """Two outputs, one non-differentiable."""

    @staticmethod
    def forward(ctx, x):
        mask = x > 0
        ctx.mark_non_differentiable(mask)
        ctx.save_for_backward(x)
        return x.abs(), mask

    @staticmethod
    def backward(ctx, grad_abs, grad_mask):
        (x,) = ctx.saved_tensors
        return grad_abs * x.sign()


def test_custom_function_forward_backward_and_node():
    x = ag.tensor([1.0, -2.0], requires_grad=True)
    y = Cube.apply(x)
    assert y.requires_grad and y.grad_fn is not None
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


def test_forward_runs_without_recording():
    seen = []

    class Probe(ag.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            seen.append(y.requires_grad)
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Probe.apply(ag.ones(2, requires_grad=True))
    assert seen == [False]


def test_needs_input_grad_and_non_tensor_args():
    got = []

    class Probe(ag.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            got.append(ctx.needs_input_grad)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    a = ag.ones(2, requires_grad=True)
    Probe.apply(a, ag.ones(2), 3.0).sum().backward()
    assert got == [(True, False, False)]
    y = ScaleBy.apply(a, 4.0)
    a.grad = None
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [4.0, 4.0])


def test_multiple_outputs_and_non_differentiable():
    x = ag.tensor([1.5, -2.0], requires_grad=True)
    a, mask = SplitSigns.apply(x)
    assert not mask.requires_grad and mask.dtype == ag.bool
    a.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -1.0])


def test_no_record_without_grad():
    y = Cube.apply(ag.ones(2))
    assert not y.requires_grad and y.grad_fn is None
    with ag.no_grad():
        y = Cube.apply(ag.ones(2, requires_grad=True))
    assert y.grad_fn is None


def test_double_backward_through_custom_function():
    x = ag.tensor([2.0], dtype=ag.float64, requires_grad=True)
    (g,) = ag.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    assert h.item() == pytest.approx(12.0)
    assert ag.gradcheck(Cube.apply, (x,))
    assert ag.gradgradcheck(Cube.apply, (x,))


def test_saved_tensor_version_check():
    x = ag.ones(2, requires_grad=True)
    h = x * 1
    y = Cube.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="CubeBackward"):
        y.sum().backward()


def test_saved_tensors_freed_after_backward():
    x = ag.ones(2, requires_grad=True)
    y = Cube.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_wrong_number_of_gradients():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(ag.ones(2, requires_grad=True), ag.ones(2, requires_grad=True)).sum().backward()


def test_wrong_gradient_shape():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, a):
            return a.sum()

        @staticmethod
        def backward(ctx, g):
            return ag.ones(3)

    with pytest.raises(RuntimeError, match="invalid gradient"):
        Bad.apply(ag.ones(2, requires_grad=True)).backward()


def test_forward_must_return_tensors():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, a):
            return 3

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="Tensors"):
        Bad.apply(ag.ones(2, requires_grad=True))


def test_once_differentiable_raises_under_create_graph():
    class Once(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        @ag.once_differentiable
        def backward(ctx, g):
            return g * 2

    x = ag.ones(2, requires_grad=True)
    Once.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="once_differentiable"):
        ag.grad(Once.apply(x).sum(), x, create_graph=True)


def test_builtin_ops_use_the_same_node_mechanism():
    from autograd.function import Function
    x = ag.ones(2, requires_grad=True)
    y = x * x
    assert isinstance(y.grad_fn, Function)
    assert y.grad_fn.name() == "MulBackward0"
    assert y.grad_fn.next_functions[0][0] is x


def test_materialize_grads_false_passes_none():
    got = []

    class Two(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            got.append(g2)
            return g1

    x = ag.ones(2, requires_grad=True)
    a, b = Two.apply(x)
    a.sum().backward()
    assert got == [None]


# ---------------------------------------------------------------------------
# ArrayFunction: each subclass gets an apply with its class constants bound
# ---------------------------------------------------------------------------
from autograd.function import ArrayFunction  # noqa: E402


class _TimesSecond(ArrayFunction):
    """``a * b`` that saves only ``b`` (the other input is not needed for grad_a)."""

    num_inputs = 2
    save_inputs = (1,)

    @staticmethod
    def forward(ctx, backend, a, b, scale=1.0):
        return a * b * scale

    @staticmethod
    def backward(ctx, grad):
        (b,) = ctx.saved_tensors
        return grad * b, None


class _ReshapeView(ArrayFunction):
    """A unary view op with a config argument."""

    __slots__ = ("in_shape",)
    is_view = True

    @staticmethod
    def forward(ctx, backend, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)


def test_array_function_binary_saves_one_input_and_passes_config():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0])
    out = _TimesSecond.apply(a, b, 2.0)
    np.testing.assert_array_equal(out.detach().numpy(), [6.0, 16.0])
    assert out.grad_fn.needs_input_grad == (True, False)
    (saved,) = out.grad_fn.saved_tensors
    assert saved is b
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    again = _TimesSecond.apply(a, b)
    b.add_(1.0)                       # the saved input changed: backward must refuse
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        again.sum().backward()


def test_array_function_unary_view_records_and_shares_version():
    x = ag.arange(6.0).requires_grad_()
    v = _ReshapeView.apply(x, (2, 3))
    assert v.shape == (2, 3) and v.grad_fn is not None and v._base is x
    assert v._vc is x._vc
    with ag.no_grad():
        w = _ReshapeView.apply(x, (3, 2))
    assert w.grad_fn is None and not w.requires_grad and w._base is x
    (v * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(6, 2.0))


def test_array_function_apply_rejects_mixed_devices():
    import types
    a = ag.ones(2)
    b = ag.ones(2)
    b._backend = types.SimpleNamespace(name="elsewhere")   # checked before any array is read
    with pytest.raises(RuntimeError, match="same device.*cpu and elsewhere"):
        _TimesSecond.apply(a, b)
