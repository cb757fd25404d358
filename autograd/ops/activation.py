"""Activations: relu, leaky_relu, gelu (exact erf form or tanh approximation), sigmoid,
tanh, softmax, log_softmax.

relu, softmax and log_softmax run the backend's fused kernels.  Their
backward uses the raw kernel only when nothing is recorded; under
``create_graph=True`` it switches to the same formula written with
differentiable ops, so second derivatives are right.

Example::

    >>> x = ag.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    >>> ag.softmax(x, dim=1).sum()
    tensor(1., grad_fn=<SumBackward0>)
"""

import math

from ..function import ArrayFunction
from ..grad_mode import _state
from ..tensor import Tensor, _wrap, _normalize_dim
from . import elementwise as _E
from .reduction import Sum


def _check(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")


class ReLU(ArrayFunction):
    """``max(x, 0)``; gradient ``grad * (x > 0)`` (0 at 0)."""

    backward_name = "ReluBackward0"
    __slots__ = ()
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x):
        return backend.relu_forward(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        backend = x._backend
        if not _state.enabled:
            return _wrap(backend.relu_backward(grad._data, x._data), backend)
        # zero where x <= 0: NaN passes its gradient, as in PyTorch
        mask = _E.constant_of(x, (~(x._data <= 0)).astype(grad._data.dtype))
        return _E.mul(grad, mask)


def relu(input):
    """``max(x, 0)`` elementwise.

    Example::

        >>> ag.relu(ag.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    x = input
    _check(x, "relu")
    if x._data.dtype.kind == "b":
        raise TypeError("relu: not supported for bool tensors")
    return ReLU.apply(x)


class LeakyReLU(ArrayFunction):
    """``x if x > 0 else slope * x``; gradient ``grad * (1 or slope)``."""

    backward_name = "LeakyReluBackward0"
    __slots__ = ("slope",)
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x, slope):
        ctx.slope = slope
        return backend.xp.where(x > 0, x, x * slope)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        pos = (x._data > 0)
        dtype = grad._data.dtype
        factor = pos.astype(dtype) + (~pos).astype(dtype) * ctx.slope
        return _E.mul(grad, _E.constant_of(x, factor))


def leaky_relu(input, negative_slope=0.01):
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    Example::

        >>> ag.leaky_relu(ag.tensor([-1.0, 2.0]), 0.1)
        tensor([-0.1000,  2.0000])
    """
    x = input
    _check(x, "leaky_relu")
    return LeakyReLU.apply(_E._as_float(x), float(negative_slope))


_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class GELU(ArrayFunction):
    """Exact GELU: ``x * Phi(x) = x/2 (1 + erf(x / sqrt 2))``;
    gradient ``grad * (Phi(x) + x phi(x))``."""

    backward_name = "GeluBackward0"
    __slots__ = ()
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x):
        cdf = 0.5 * (1.0 + backend.erf(x * _SQRT1_2))
        return (x * cdf).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        cdf = _E.MulScalar.apply(_E.AddScalar.apply(_E.erf(_E.MulScalar.apply(x, _SQRT1_2)), 1.0),
                                 0.5)
        pdf = _E.MulScalar.apply(_E.exp(_E.MulScalar.apply(_E.mul(x, x), -0.5)), _INV_SQRT_2PI)
        return _E.mul(grad, _E.add(cdf, _E.mul(x, pdf)))


class GELUTanh(ArrayFunction):
    """GELU's tanh approximation: ``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""

    backward_name = "GeluBackward0"
    __slots__ = ()
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x):
        xp = backend.xp
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        return (0.5 * x * (1.0 + xp.tanh(inner))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        x2 = _E.mul(x, x)
        inner = _E.MulScalar.apply(_E.add(x, _E.MulScalar.apply(_E.mul(x2, x), 0.044715)),
                                   _SQRT_2_OVER_PI)
        t = tanh(inner)
        dinner = _E.MulScalar.apply(_E.AddScalar.apply(_E.MulScalar.apply(x2, 3 * 0.044715), 1.0),
                                    _SQRT_2_OVER_PI)
        one_minus_t2 = _E.RSubScalar.apply(_E.mul(t, t), 1.0)
        d = _E.add(_E.MulScalar.apply(_E.AddScalar.apply(t, 1.0), 0.5),
                   _E.MulScalar.apply(_E.mul(_E.mul(x, one_minus_t2), dinner), 0.5))
        return _E.mul(grad, d)


def gelu(input, approximate="none"):
    """Gaussian Error Linear Unit: exact (``approximate="none"``) or ``"tanh"``.

    Example::

        >>> ag.gelu(ag.tensor([1.0]))
        tensor([0.8413])
    """
    x = input
    _check(x, "gelu")
    x = _E._as_float(x)
    if approximate == "none":
        return GELU.apply(x)
    if approximate == "tanh":
        return GELUTanh.apply(x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


class Sigmoid(ArrayFunction):
    """``1 / (1 + e^-x)`` (without overflow); gradient ``grad * out (1 - out)``."""

    __slots__ = ()
    save_output = True

    @staticmethod
    def forward(ctx, backend, x):
        return backend.sigmoid_forward(x)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not _state.enabled:
            y = out._data
            return _wrap(grad._data * (y * (1.0 - y)), grad._backend)
        return _E.mul(grad, _E.mul(out, _E.RSubScalar.apply(out, 1.0)))


def sigmoid(input):
    """The logistic function ``1 / (1 + exp(-x))``.

    Example::

        >>> ag.sigmoid(ag.tensor([0.0]))
        tensor([0.5000])
    """
    x = input
    _check(x, "sigmoid")
    return Sigmoid.apply(_E._as_float(x))


class Tanh(ArrayFunction):
    """``tanh x``; gradient ``grad * (1 - out^2)``."""

    __slots__ = ()
    save_output = True

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.tanh(x)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not _state.enabled:
            y = out._data
            return _wrap(grad._data * (1.0 - y * y), grad._backend)
        return _E.mul(grad, _E.RSubScalar.apply(_E.mul(out, out), 1.0))


def tanh(input):
    """Hyperbolic tangent.

    Example::

        >>> ag.tanh(ag.tensor([0.0]))
        tensor([0.])
    """
    x = input
    _check(x, "tanh")
    return Tanh.apply(_E._as_float(x))


class Softmax(ArrayFunction):
    """``exp(x) / sum(exp(x))`` along ``axis`` (backend kernel);
    gradient ``out * (grad - sum(grad * out))``."""

    __slots__ = ("axis",)
    save_output = True

    @staticmethod
    def forward(ctx, backend, x, axis):
        ctx.axis = axis
        return backend.softmax_forward(x, axis)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        axis = ctx.axis
        if not _state.enabled:
            backend = out._backend
            return _wrap(backend.softmax_backward(grad._data, out._data, axis), backend)
        s = Sum.apply(_E.mul(grad, out), (axis,), True, None)
        return _E.mul(out, _E.sub(grad, s))


class LogSoftmax(ArrayFunction):
    """``x - logsumexp(x)`` along ``axis`` (backend kernel);
    gradient ``grad - exp(out) * sum(grad)``."""

    __slots__ = ("axis",)
    save_output = True

    @staticmethod
    def forward(ctx, backend, x, axis):
        ctx.axis = axis
        return backend.log_softmax_forward(x, axis)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        axis = ctx.axis
        if not _state.enabled:
            backend = out._backend
            return _wrap(backend.log_softmax_backward(grad._data, out._data, axis), backend)
        s = Sum.apply(grad, (axis,), True, None)
        return _E.sub(grad, _E.mul(_E.exp(out), s))


def _softmax_common(cls, x, dim, dtype, name):
    _check(x, name)
    if dim is None:
        raise TypeError(f"{name}() missing required argument 'dim'")
    if dtype is not None:
        x = x.to(dtype)
    x = _E._as_float(x)
    if x._data.ndim == 0:
        _normalize_dim(dim, 0, name)
        return cls.apply(x.reshape(1), 0).reshape(())
    axis = _normalize_dim(dim, x._data.ndim, name)
    return cls.apply(x, axis)


def softmax(input, dim=None, dtype=None):
    """Softmax along ``dim``: ``exp(x) / exp(x).sum(dim, keepdim=True)``, computed stably.

    Example::

        >>> ag.softmax(ag.tensor([0.0, 0.0]), dim=0)
        tensor([0.5000, 0.5000])
    """
    x = input
    return _softmax_common(Softmax, x, dim, dtype, "softmax")


def log_softmax(input, dim=None, dtype=None):
    """Log-softmax along ``dim``: ``x - logsumexp(x, dim, keepdim=True)``, computed stably.

    Example::

        >>> ag.log_softmax(ag.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    x = input
    return _softmax_common(LogSoftmax, x, dim, dtype, "log_softmax")
