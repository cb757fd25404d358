"""Elementwise operations: arithmetic with broadcasting, unary math, comparisons.

Each op is one :class:`~autograd.function.ArrayFunction` (forward on raw
arrays next to its backward written with differentiable Tensor ops) plus a
public function that converts operands.  Binary ops accept Tensors, Python
numbers and ndarrays on either side, promote dtypes like PyTorch (see
:mod:`autograd.dtypes`) and broadcast like NumPy; gradients are summed back
to each input's shape with :func:`~autograd.ops.reduction.unbroadcast`.

Example::

    >>> a = ag.tensor([[1.0], [2.0]], requires_grad=True)
    >>> (a * ag.tensor([1.0, 2.0, 3.0]) + 1).sum().backward()
    >>> a.grad
    tensor([[6.],
            [6.]])
"""

import math
import numbers

import numpy

from .. import dtypes as _dtypes
from ..function import ArrayFunction, Function, renamed
from ..grad_mode import _state
from ..tensor import Tensor, _wrap
from .reduction import unbroadcast, broadcast_to, sum_to_array


class ShapeError(RuntimeError, ValueError):
    """Shapes that do not fit (a RuntimeError, like PyTorch's, and a ValueError)."""


class DTypeError(RuntimeError, TypeError):
    """An operation not defined for a dtype (a RuntimeError, like PyTorch's, and a TypeError)."""


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """Integer division or remainder by zero (PyTorch raises a RuntimeError)."""


class IntegerPowerError(RuntimeError, ValueError):
    """An int tensor raised to a negative Python int (a RuntimeError, like PyTorch's, and
    the ValueError NumPy raises)."""


class BoolNotImplementedError(NotImplementedError, DTypeError):
    """An operation PyTorch does not implement for bool tensors (``//``, ``%``, ``**`` between
    bools): a NotImplementedError, like PyTorch's, and a :class:`DTypeError`."""


# ----------------------------------------------------------------------
# operand conversion and type promotion
# ----------------------------------------------------------------------
_PYSCALARS = {float: 2, int: 1, bool: 0}


def scalar_kind(value):
    """Category of a Python/NumPy number (0 bool, 1 int, 2 float) or None if not a number."""
    k = _PYSCALARS.get(type(value))
    if k is not None:
        return k
    if isinstance(value, numpy.generic):
        kind = value.dtype.kind
        if kind == "b":
            return 0
        if kind in "iu":
            return 1
        if kind == "f":
            return 2
        return None
    if isinstance(value, bool):
        return 0
    if isinstance(value, numbers.Integral):
        return 1
    if isinstance(value, numbers.Real):
        return 2
    return None


def _py_scalar(value):
    """A Python number (numpy scalars become weakly typed Python numbers)."""
    if isinstance(value, numpy.generic):
        return value.item()
    return value


def _default_for_kind(kind):
    return _dtypes.get_default_dtype() if kind == 2 else (_dtypes.int64 if kind == 1
                                                          else _dtypes.bool_)


def as_tensor_operand(value, like, name):
    """Convert an ndarray (or a Tensor) operand to a Tensor on ``like``'s device."""
    if isinstance(value, Tensor):
        return value
    backend = like._backend
    if backend.is_array(value):
        return _wrap(value, backend, False)
    if isinstance(value, numpy.ndarray):
        arr = value if backend.name == "cpu" else backend.from_numpy(value)
        return _wrap(arr, backend, False)
    if isinstance(value, (list, tuple)):
        raise TypeError(f"{name}: unsupported operand type {type(value).__name__}; convert it "
                        "with ag.tensor(...) first")
    raise TypeError(f"{name}: unsupported operand type {type(value).__name__} (expected a "
                    "Tensor, a number or an ndarray)")


def _common_dtype(arrays):
    """PyTorch's result dtype of arrays combined in one op: 0-d arrays rank below the
    others within a category."""
    dims = [a.dtype for a in arrays if a.ndim > 0]
    zeros = [a.dtype for a in arrays if a.ndim == 0]
    return _dtypes.result_type(dims, zeros, ())


def promote_tensors(tensors, name):
    """Cast Tensors to their common dtype (PyTorch's promotion; 0-d ones rank lower)."""
    first = tensors[0]._data.dtype
    if all(t._data.dtype == first for t in tensors):
        return tensors
    res = _common_dtype([t._data for t in tensors])
    return [t if t._data.dtype == res else to_dtype(t, res) for t in tensors]


def binary_operands(a, b, name):
    """Both operands as Tensors of one dtype on one device (numbers become 0-d tensors)."""
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if not ta:
        ka = scalar_kind(a)
        if ka is not None:
            if not tb:
                raise TypeError(f"{name}: expected at least one Tensor operand")
            b = _float_if_needed(b, ka)
            a = _wrap(b._backend.xp.asarray(_py_scalar(a), dtype=b._data.dtype), b._backend)
            return a, b
        a = as_tensor_operand(a, b, name)
    if not tb:
        kb = scalar_kind(b)
        if kb is not None:
            a = _float_if_needed(a, kb)
            b = _wrap(a._backend.xp.asarray(_py_scalar(b), dtype=a._data.dtype), a._backend)
            return a, b
        b = as_tensor_operand(b, a, name)
    if a._backend is not b._backend:
        raise RuntimeError(f"expected all tensors to be on the same device, but found at least "
                           f"two devices, {a.device} and {b.device}! (in {name})")
    da = a._data.dtype
    db = b._data.dtype
    if da != db:
        res = _common_dtype((a._data, b._data))
        if da != res:
            a = to_dtype(a, res)
        if db != res:
            b = to_dtype(b, res)
    return a, b


def _float_if_needed(t, kind):
    """Cast ``t`` up to the category of a Python number of ``kind`` (int -> default float...)."""
    cat = _dtypes.category(t._data.dtype)
    if kind > cat:
        return to_dtype(t, _default_for_kind(kind))
    return t


def _as_float(t):
    """Int/bool tensors become the default float dtype (for float-valued unary ops)."""
    if t._data.dtype.kind != "f":
        return to_dtype(t, _dtypes.get_default_dtype())
    return t


def _broadcast_error(name, a, b):
    return ShapeError(f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast "
                      "together")


def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")


# ----------------------------------------------------------------------
# dtype and device conversion
# ----------------------------------------------------------------------
class ToDtype(ArrayFunction):
    """Cast to another dtype; the gradient is cast back."""

    backward_name = "ToCopyBackward0"
    __slots__ = ("in_dtype",)

    @staticmethod
    def forward(ctx, backend, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        if ctx.in_dtype.kind != "f":
            return None
        return to_dtype(grad, ctx.in_dtype)


def to_dtype(x, dtype):
    """``x`` converted to ``dtype`` (differentiable between float dtypes)."""
    dtype = _dtypes.as_dtype(dtype)
    if x._data.dtype == dtype:
        return x
    if dtype.kind != "f" and x._requires_grad:
        with_grad = _state.enabled
        _state.enabled = False
        try:
            return ToDtype.apply(x, dtype)
        finally:
            _state.enabled = with_grad
    return ToDtype.apply(x, dtype)


class ToDevice(Function):
    """Move a tensor to another device; the gradient moves back."""

    @staticmethod
    def forward(ctx, x, target_backend):
        ctx.source_backend = x._backend
        src = x._backend
        host = src.to_numpy(x._data)
        return _wrap(target_backend.from_numpy(host), target_backend)

    @staticmethod
    def backward(ctx, grad):
        return to_device(grad, ctx.source_backend), None


def to_device(x, backend):
    """``x`` on ``backend``'s device (differentiable)."""
    if x._backend is backend:
        return x
    return ToDevice.apply(x, backend)


class ConstantOf(ArrayFunction):
    """A constant computed from ``x`` (a mask or weights) with a zero derivative.

    Backward formulas multiply by such constants; under ``create_graph`` this
    keeps the result connected to ``x`` (with a zero gradient), as PyTorch's
    mask-based backward formulas are, so ``grad(grad(f), x)`` returns zeros
    instead of "not used".
    """

    __slots__ = ("shape", "dtype")

    @staticmethod
    def forward(ctx, backend, x, value):
        ctx.shape = x.shape
        ctx.dtype = x.dtype
        return value

    @staticmethod
    def backward(ctx, grad):
        return _wrap(grad._backend.xp.zeros(ctx.shape, dtype=ctx.dtype), grad._backend)


def constant_of(x, value):
    """Wrap the array ``value`` (derived from ``x``) as a zero-derivative function of ``x``."""
    if x._requires_grad and _state.enabled:
        return ConstantOf.apply(x, value)
    return _wrap(value, x._backend)


# ----------------------------------------------------------------------
# arithmetic: tensor (op) tensor
# ----------------------------------------------------------------------
class Add(ArrayFunction):
    """``a + b``; gradients: ``grad`` for both (summed over broadcast dims)."""

    __slots__ = ("a_shape", "b_shape")
    num_inputs = 2

    @staticmethod
    def forward(ctx, backend, a, b):
        ctx.a_shape = a.shape
        ctx.b_shape = b.shape
        return a + b

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        if not _state.enabled:   # fast path (nothing recorded): raw arrays
            g = grad._data
            backend = grad._backend
            return (_wrap(sum_to_array(g, ctx.a_shape), backend) if need[0] else None,
                    _wrap(sum_to_array(g, ctx.b_shape), backend) if need[1] else None)
        return (unbroadcast(grad, ctx.a_shape) if need[0] else None,
                unbroadcast(grad, ctx.b_shape) if need[1] else None)


class Sub(ArrayFunction):
    """``a - b``; gradients: ``grad`` and ``-grad``."""

    __slots__ = ("a_shape", "b_shape")
    num_inputs = 2

    @staticmethod
    def forward(ctx, backend, a, b):
        ctx.a_shape = a.shape
        ctx.b_shape = b.shape
        return a - b

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        if not _state.enabled:
            g = grad._data
            backend = grad._backend
            return (_wrap(sum_to_array(g, ctx.a_shape), backend) if need[0] else None,
                    _wrap(sum_to_array(-g, ctx.b_shape), backend) if need[1] else None)
        return (unbroadcast(grad, ctx.a_shape) if need[0] else None,
                unbroadcast(neg(grad), ctx.b_shape) if need[1] else None)


class Mul(ArrayFunction):
    """``a * b``; gradients: ``grad * b`` and ``grad * a``."""

    __slots__ = ()
    num_inputs = 2
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, backend, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        if not _state.enabled:
            g = grad._data
            backend = grad._backend
            return (_wrap(sum_to_array(g * b._data, a._data.shape), backend) if need[0] else None,
                    _wrap(sum_to_array(g * a._data, b._data.shape), backend) if need[1] else None)
        return (unbroadcast(mul(grad, b), a.shape) if need[0] else None,
                unbroadcast(mul(grad, a), b.shape) if need[1] else None)


class Div(ArrayFunction):
    """``a / b``; gradients: ``grad / b`` and ``-grad * a / b**2``."""

    __slots__ = ()
    num_inputs = 2
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, backend, a, b):
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = unbroadcast(div(grad, b), a.shape) if need[0] else None
        gb = unbroadcast(neg(div(mul(grad, a), mul(b, b))), b.shape) if need[1] else None
        return ga, gb


class Pow(ArrayFunction):
    """``a ** b`` for tensors; ``d/da = b a^(b-1)``, ``d/db = a^b log a`` (0 where a = 0, b >= 0)."""

    backward_name = "PowBackward1"
    __slots__ = ()
    num_inputs = 2
    save_inputs = (0, 1)
    save_output = True

    @staticmethod
    def forward(ctx, backend, a, b):
        return backend.xp.power(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = gb = None
        if need[0]:
            # b * a^(b-1), with the b == 0 case giving 0 (PyTorch's rule)
            da = where(eq(b, 0), 0.0, mul(b, pow(a, sub(b, 1))))
            ga = unbroadcast(mul(grad, da), a.shape)
        if need[1]:
            db = where(logical_and(eq(a, 0), ge(b, 0)), 0.0, mul(out, log(a)))
            gb = unbroadcast(mul(grad, db), b.shape)
        return ga, gb


class FloorDivide(ArrayFunction):
    """``floor(a / b)`` (Python's ``//``); not differentiable, as in PyTorch."""

    backward_name = "FloorDivideBackward0"
    __slots__ = ()
    num_inputs = 2

    @staticmethod
    def forward(ctx, backend, a, b):
        return backend.xp.floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("the derivative for 'floor_divide' is not implemented")


class Remainder(ArrayFunction):
    """``a - floor(a / b) * b`` (Python's ``%``, sign of the divisor);
    gradients ``grad`` and ``-grad * floor(a / b)``."""

    __slots__ = ()
    num_inputs = 2
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, backend, a, b):
        return backend.xp.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = unbroadcast(grad, a.shape) if need[0] else None
        gb = None
        if need[1]:
            q = _wrap(a._backend.xp.floor_divide(a._data, b._data), a._backend)
            gb = unbroadcast(neg(mul(grad, q)), b.shape)
        return ga, gb


class Maximum(ArrayFunction):
    """``max(a, b)`` elementwise; ties split the gradient in half (PyTorch)."""

    __slots__ = ()
    num_inputs = 2
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, backend, a, b):
        return backend.xp.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _minmax_backward(ctx, grad, a, b, gt)


class Minimum(ArrayFunction):
    """``min(a, b)`` elementwise; ties split the gradient in half (PyTorch)."""

    __slots__ = ()
    num_inputs = 2
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, backend, a, b):
        return backend.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _minmax_backward(ctx, grad, a, b, lt)


def _minmax_backward(ctx, grad, a, b, wins):
    xp = a._backend.xp
    dtype = grad._data.dtype
    win_a = wins(a, b)._data
    tie = (a._data == b._data)
    weight_a_data = win_a.astype(dtype) + tie.astype(dtype) * 0.5
    weight_a = constant_of(a, weight_a_data)
    need = ctx.needs_input_grad
    ga = unbroadcast(mul(grad, weight_a), a.shape) if need[0] else None
    gb = None
    if need[1]:
        weight_b = constant_of(b, xp.asarray(1.0, dtype=dtype) - weight_a_data)
        gb = unbroadcast(mul(grad, weight_b), b.shape)
    return ga, gb


class Where(ArrayFunction):
    """``where(cond, a, b)``; gradients go to ``a`` where cond holds, to ``b`` elsewhere."""

    __slots__ = ("cond", "a_shape", "b_shape")
    num_inputs = 2

    @staticmethod
    def forward(ctx, backend, a, b, cond):
        ctx.cond = cond
        ctx.a_shape = a.shape
        ctx.b_shape = b.shape
        return backend.xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        cond = _wrap(ctx.cond, grad._backend)
        zero = _wrap(grad._backend.xp.zeros((), dtype=grad._data.dtype), grad._backend)
        need = ctx.needs_input_grad
        ga = unbroadcast(Where.apply(grad, zero, cond._data), ctx.a_shape) if need[0] else None
        gb = unbroadcast(Where.apply(zero, grad, cond._data), ctx.b_shape) if need[1] else None
        return ga, gb


# ----------------------------------------------------------------------
# arithmetic with a Python number (no 0-d tensor is built)
# ----------------------------------------------------------------------
class AddScalar(ArrayFunction):
    """``x + c``."""

    backward_name = "AddBackward0"
    __slots__ = ()

    @staticmethod
    def forward(ctx, backend, x, c):
        return x + c

    @staticmethod
    def backward(ctx, grad):
        return grad


class SubScalar(ArrayFunction):
    """``x - c``."""

    backward_name = "SubBackward0"
    __slots__ = ()

    @staticmethod
    def forward(ctx, backend, x, c):
        return x - c

    @staticmethod
    def backward(ctx, grad):
        return grad


class MulScalar(ArrayFunction):
    """``x * c``; gradient ``grad * c``."""

    backward_name = "MulBackward0"
    __slots__ = ("c",)
    saves_scalar = True

    @staticmethod
    def forward(ctx, backend, x, c):
        ctx.c = c
        return x * c

    @staticmethod
    def backward(ctx, grad):
        if not _state.enabled:
            return _wrap(grad._data * ctx.c, grad._backend)
        return MulScalar.apply(grad, ctx.c)


class RSubScalar(ArrayFunction):
    """``c - x``; gradient ``-grad``."""

    backward_name = "RsubBackward1"
    __slots__ = ()

    @staticmethod
    def forward(ctx, backend, x, c):
        return c - x

    @staticmethod
    def backward(ctx, grad):
        return neg(grad)


class DivScalar(ArrayFunction):
    """``x / c``; gradient ``grad / c``."""

    backward_name = "DivBackward0"
    __slots__ = ("c",)
    saves_scalar = True

    @staticmethod
    def forward(ctx, backend, x, c):
        ctx.c = c
        return x / c

    @staticmethod
    def backward(ctx, grad):
        return DivScalar.apply(grad, ctx.c)



class MeanScale(DivScalar):
    """The division that ends a mean (its node is named MeanBackward0, as in PyTorch)."""

    backward_name = "MeanBackward0"
    __slots__ = ()


MeanDimScale = renamed(MeanScale, "MeanBackward1")    # mean over given dims
VarScale = renamed(DivScalar, "VarBackward0")         # the division that ends a variance

class RDivScalar(ArrayFunction):
    """``c / x``; gradient ``-grad * c / x**2 = -grad * out / x``."""

    backward_name = "DivBackward1"
    __slots__ = ("c",)
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x, c):
        ctx.c = c
        return c / x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return neg(div(MulScalar.apply(grad, ctx.c), mul(x, x)))


class PowScalar(ArrayFunction):
    """``x ** c``; gradient ``grad * c * x**(c - 1)`` (0 when c == 0)."""

    backward_name = "PowBackward0"
    __slots__ = ("c",)
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x, c):
        ctx.c = c
        if c == 2:
            return x * x
        return x ** c

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        c = ctx.c
        if c == 0:
            return mul(grad, 0.0)
        if c == 1:
            return grad
        if c == 2:
            return mul(grad, MulScalar.apply(x, 2.0))
        return mul(grad, MulScalar.apply(PowScalar.apply(x, c - 1), c))


class RPowScalar(ArrayFunction):
    """``c ** x``; gradient ``grad * out * log(c)`` (PyTorch's values for ``c <= 0``: nan
    for ``c < 0``; for ``c == 0`` 0 where ``x >= 0`` and ``-inf`` where ``x < 0``)."""

    backward_name = "PowBackward2"
    __slots__ = ("c",)
    save_output = True

    @staticmethod
    def forward(ctx, backend, x, c):
        ctx.c = c
        return backend.xp.power(backend.xp.asarray(c, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        c = ctx.c
        if c > 0:
            return mul(grad, MulScalar.apply(out, math.log(c)))
        if c == 0:
            # out is 1 at x == 0, 0 for x > 0 and inf for x < 0 (nan stays nan)
            return where(le(out, 1), 0.0, mul(grad, MulScalar.apply(out, -math.inf)))
        return mul(grad, MulScalar.apply(out, math.nan))


class ClampScalar(ArrayFunction):
    """``min(max(x, lo), hi)``; the gradient passes where ``lo <= x <= hi`` (PyTorch)."""

    backward_name = "ClampBackward1"
    __slots__ = ("lo", "hi")
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x, lo, hi):
        ctx.lo = lo
        ctx.hi = hi
        xp = backend.xp
        out = x
        if lo is not None:
            out = xp.maximum(out, xp.asarray(lo, dtype=x.dtype))
        if hi is not None:
            out = xp.minimum(out, xp.asarray(hi, dtype=x.dtype))
        if out is x:
            out = x.copy()
        return out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        data = x._data
        mask = None
        if ctx.lo is not None:
            mask = data >= ctx.lo
        if ctx.hi is not None:
            m2 = data <= ctx.hi
            mask = m2 if mask is None else (mask & m2)
        if mask is None:
            return grad
        return mul(grad, constant_of(x, mask.astype(grad._data.dtype)))


# ----------------------------------------------------------------------
# unary math
# ----------------------------------------------------------------------
class Neg(ArrayFunction):
    """``-x``."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, backend, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return Neg.apply(grad)


class Exp(ArrayFunction):
    """``e^x``; gradient ``grad * out``."""

    __slots__ = ()
    save_output = True

    @staticmethod
    def forward(ctx, backend, x):
        return backend.exp_forward(x)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not _state.enabled:
            return _wrap(grad._data * out._data, grad._backend)
        return mul(grad, out)


class Log(ArrayFunction):
    """``log x``; gradient ``grad / x``."""

    __slots__ = ()
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return div(grad, x)


class Log1p(ArrayFunction):
    """``log(1 + x)``; gradient ``grad / (1 + x)``."""

    __slots__ = ()
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return div(grad, AddScalar.apply(x, 1.0))


class Expm1(ArrayFunction):
    """``e^x - 1``; gradient ``grad * (out + 1)``."""

    __slots__ = ()
    save_output = True

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.expm1(x)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return mul(grad, AddScalar.apply(out, 1.0))


class Sqrt(ArrayFunction):
    """``sqrt x``; gradient ``grad / (2 out)`` (inf at 0)."""

    __slots__ = ()
    save_output = True

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.sqrt(x)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return div(grad, MulScalar.apply(out, 2.0))


class Rsqrt(ArrayFunction):
    """``1 / sqrt x``; gradient ``-grad * out^3 / 2``."""

    __slots__ = ()
    save_output = True

    @staticmethod
    def forward(ctx, backend, x):
        xp = backend.xp
        return xp.asarray(1.0, dtype=x.dtype) / xp.sqrt(x)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return mul(grad, MulScalar.apply(PowScalar.apply(out, 3), -0.5))


class Sin(ArrayFunction):
    """``sin x``; gradient ``grad * cos x``."""

    __slots__ = ()
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return mul(grad, cos(x))


class Cos(ArrayFunction):
    """``cos x``; gradient ``-grad * sin x``."""

    __slots__ = ()
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return mul(grad, neg(sin(x)))


class Abs(ArrayFunction):
    """``|x|``; gradient ``grad * sign(x)`` (0 at 0)."""

    __slots__ = ()
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return mul(grad, sign(x))


class Sign(ArrayFunction):
    """``sign x`` (-1, 0, 1; 0 for NaN, as PyTorch); gradient 0."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, backend, x):
        xp = backend.xp
        out = xp.sign(x)
        if out.dtype.kind == "f":
            # NumPy gives NaN, PyTorch 0 (which also makes |x|'s gradient 0 at NaN)
            out = xp.where(out != out, xp.zeros((), dtype=out.dtype), out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return mul(grad, 0.0)


class Reciprocal(ArrayFunction):
    """``1 / x``; gradient ``-grad * out^2``."""

    __slots__ = ()
    save_output = True

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.asarray(1.0, dtype=x.dtype) / x

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return neg(mul(grad, mul(out, out)))


class Square(ArrayFunction):
    """``x^2``; gradient ``2 x grad``."""

    backward_name = "PowBackward0"   # PyTorch computes square as pow(x, 2)
    __slots__ = ()
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x):
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return mul(grad, MulScalar.apply(x, 2.0))


class Erf(ArrayFunction):
    """``erf x``; gradient ``grad * 2/sqrt(pi) * exp(-x^2)``."""

    __slots__ = ()
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x):
        return backend.erf(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return mul(grad, MulScalar.apply(exp(neg(mul(x, x))), 2.0 / math.sqrt(math.pi)))


class Floor(ArrayFunction):
    """``floor x``; gradient 0."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.floor(x)

    @staticmethod
    def backward(ctx, grad):
        return mul(grad, 0.0)


class Ceil(ArrayFunction):
    """``ceil x``; gradient 0."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.ceil(x)

    @staticmethod
    def backward(ctx, grad):
        return mul(grad, 0.0)


class Round(ArrayFunction):
    """Round half to even; gradient 0."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, backend, x):
        return backend.xp.round(x)

    @staticmethod
    def backward(ctx, grad):
        return mul(grad, 0.0)


class Clone(ArrayFunction):
    """A copy; gradient ``grad``."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, backend, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


# ----------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------
def add(input, other, alpha=1):
    """``input + alpha * other`` with broadcasting (numbers and ndarrays allowed on either side).

    Example::

        >>> ag.add(ag.tensor([1.0, 2.0]), 1)
        tensor([2., 3.])
    """
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else _py_scalar(other) * alpha
    if isinstance(input, Tensor):
        if isinstance(other, Tensor):
            if input._data.dtype is not other._data.dtype or input._backend is not other._backend:
                input, other = binary_operands(input, other, "add")
            try:
                return Add.apply(input, other)
            except ValueError:
                raise _broadcast_error("add", input, other) from None
        k = scalar_kind(other)
        if k is not None:
            return AddScalar.apply(_float_if_needed(input, k), _py_scalar(other))
    elif isinstance(other, Tensor):
        k = scalar_kind(input)
        if k is not None:
            return AddScalar.apply(_float_if_needed(other, k), _py_scalar(input))
    input, other = binary_operands(input, other, "add")
    try:
        return Add.apply(input, other)
    except ValueError:
        raise _broadcast_error("add", input, other) from None


def sub(input, other, alpha=1):
    """``input - alpha * other`` with broadcasting.

    Example::

        >>> ag.sub(1, ag.tensor([1.0, 2.0]))
        tensor([ 0., -1.])
    """
    if alpha != 1:
        _check_no_bool_operand(input, other)
        other = mul(other, alpha) if isinstance(other, Tensor) else _py_scalar(other) * alpha
    if isinstance(input, Tensor):
        if isinstance(other, Tensor):
            if input._data.dtype is not other._data.dtype or input._backend is not other._backend:
                _check_no_bool_operand(input, other)
                input, other = binary_operands(input, other, "sub")
            try:
                return Sub.apply(input, other)
            except ValueError:
                raise _broadcast_error("sub", input, other) from None
            except TypeError:
                if input._data.dtype.kind == "b":
                    _raise_bool_sub(True)
                raise
        k = scalar_kind(other)
        if k is not None:
            _check_not_bool_sub(input, k)
            return SubScalar.apply(_float_if_needed(input, k), _py_scalar(other))
    elif isinstance(other, Tensor):
        k = scalar_kind(input)
        if k is not None:
            _check_not_bool_sub(other, k)
            return RSubScalar.apply(_float_if_needed(other, k), _py_scalar(input))
    _check_no_bool_operand(input, other)
    input, other = binary_operands(input, other, "sub")
    try:
        return Sub.apply(input, other)
    except ValueError:
        raise _broadcast_error("sub", input, other) from None


def _check_not_bool_sub(t, kind):
    """PyTorch rejects ``-`` when either side is bool (a bool tensor or a Python bool)."""
    if kind == 0 or t._data.dtype.kind == "b":
        _raise_bool_sub(kind == 0 and t._data.dtype.kind == "b")


def _check_no_bool_operand(a, b):
    ba = _is_bool_operand(a)
    bb = _is_bool_operand(b)
    if ba or bb:
        _raise_bool_sub(ba and bb)


def _is_bool_operand(v):
    if isinstance(v, Tensor):
        return v._data.dtype.kind == "b"
    dtype = getattr(v, "dtype", None)
    if dtype is not None:
        return getattr(dtype, "kind", None) == "b"
    return scalar_kind(v) == 0


def _raise_bool_sub(both):
    if both:
        raise DTypeError("Subtraction, the `-` operator, with two bool tensors is not "
                         "supported. Use the `^` or `logical_xor()` operator instead.")
    raise DTypeError("Subtraction, the `-` operator, with a bool tensor is not supported. If "
                     "you are trying to invert a mask, use the `~` or `logical_not()` operator "
                     "instead.")


def mul(input, other):
    """``input * other`` with broadcasting.

    Example::

        >>> ag.mul(ag.tensor([1.0, 2.0]), ag.tensor([[1.0], [3.0]]))
        tensor([[1., 2.],
                [3., 6.]])
    """
    if isinstance(input, Tensor):
        if isinstance(other, Tensor):
            if input._data.dtype is not other._data.dtype or input._backend is not other._backend:
                input, other = binary_operands(input, other, "mul")
            try:
                return Mul.apply(input, other)
            except ValueError:
                raise _broadcast_error("mul", input, other) from None
        k = scalar_kind(other)
        if k is not None:
            return MulScalar.apply(_float_if_needed(input, k), _py_scalar(other))
    elif isinstance(other, Tensor):
        k = scalar_kind(input)
        if k is not None:
            return MulScalar.apply(_float_if_needed(other, k), _py_scalar(input))
    input, other = binary_operands(input, other, "mul")
    try:
        return Mul.apply(input, other)
    except ValueError:
        raise _broadcast_error("mul", input, other) from None


def div(input, other, rounding_mode=None):
    """``input / other`` (true division: ints give the default float dtype).

    ``rounding_mode="floor"`` gives ``floor(a / b)``, ``"trunc"`` rounds toward zero.

    Example::

        >>> ag.div(ag.tensor([1, 2]), 2)
        tensor([0.5000, 1.0000])
    """
    if rounding_mode is not None:
        if rounding_mode == "floor":
            return floor_divide(input, other)
        if rounding_mode == "trunc":
            q = div(input, other)
            out = mul(sign(q), floor(abs(q)))
            ta = input if isinstance(input, Tensor) else other
            if ta._data.dtype.kind in "iu" and (not isinstance(other, Tensor) or
                                                other._data.dtype.kind in "iu") and \
                    scalar_kind(other) != 2 and scalar_kind(input) != 2:
                out = to_dtype(out, ta._data.dtype if isinstance(input, Tensor) else other._data.dtype)
            return out
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")
    if isinstance(input, Tensor):
        if isinstance(other, Tensor):
            # promote first: int / 0-d float64 is float64, as in PyTorch
            input, other = binary_operands(input, other, "div")
            input, other = _as_float(input), _as_float(other)
            try:
                return Div.apply(input, other)
            except ValueError:
                raise _broadcast_error("div", input, other) from None
        k = scalar_kind(other)
        if k is not None:
            return DivScalar.apply(_as_float(input), _py_scalar(other))
    elif isinstance(other, Tensor):
        k = scalar_kind(input)
        if k is not None:
            return RDivScalar.apply(_as_float(other), _py_scalar(input))
    input, other = binary_operands(input, other, "div")
    input, other = _as_float(input), _as_float(other)
    try:
        return Div.apply(input, other)
    except ValueError:
        raise _broadcast_error("div", input, other) from None


true_divide = div


def floor_divide(input, other):
    """``floor(input / other)`` elementwise (Python's ``//``); not differentiable."""
    input, other = binary_operands(input, other, "floor_divide")
    if input._data.dtype.kind in "biu":
        if input._data.dtype.kind == "b":
            raise BoolNotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
        if input._data.size and bool((other._data == 0).any()):   # (an empty result is fine)
            raise IntegerDivisionByZero("floor_divide: integer division by zero")
    try:
        return FloorDivide.apply(input, other)
    except ValueError:
        raise _broadcast_error("floor_divide", input, other) from None


def remainder(input, other):
    """``input - floor(input / other) * other`` (Python's ``%``: the result has the divisor's sign)."""
    input, other = binary_operands(input, other, "remainder")
    if input._data.dtype.kind in "biu":
        if input._data.dtype.kind == "b":
            raise BoolNotImplementedError("\"remainder_cpu\" not implemented for 'Bool'")
        if input._data.size and bool((other._data == 0).any()):   # (an empty result is fine)
            raise IntegerDivisionByZero("remainder: integer division by zero")
    try:
        return Remainder.apply(input, other)
    except ValueError:
        raise _broadcast_error("remainder", input, other) from None


fmod_python = remainder


def pow(input, exponent):  # noqa: A001 - PyTorch's name
    """``a ** b`` with broadcasting; either side may be a number.

    Int tensors follow PyTorch: negative tensor exponents give ``1 ** -n = 1``,
    ``(-1) ** -n = +-1`` and 0 otherwise; a negative Python int exponent raises
    :class:`IntegerPowerError` (a RuntimeError).  ``bool ** bool`` is only defined for a
    Python-bool exponent (bool result).

    Example::

        >>> ag.pow(ag.tensor([1.0, 2.0]), 2)
        tensor([1., 4.])
    """
    a, b = input, exponent
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        k = scalar_kind(b)
        if k is not None:
            if a._data.dtype.kind in "biu" and k < 2:
                return _int_pow_scalar(a, _py_scalar(b), k)
            return PowScalar.apply(_float_if_needed(a, k), _py_scalar(b))
    elif isinstance(b, Tensor) and not isinstance(a, Tensor):
        k = scalar_kind(a)
        if k is not None:
            if b._data.dtype.kind in "biu" and k < 2:
                if k == 0 and b._data.dtype.kind == "b":
                    raise BoolNotImplementedError("\"pow\" not implemented for 'Bool'")
                b = _float_if_needed(b, k)
                xp = b._backend.xp
                return _wrap(_int_power(xp, xp.asarray(_py_scalar(a), dtype=b._data.dtype),
                                        b._data), b._backend)
            return RPowScalar.apply(_float_if_needed(b, k), _py_scalar(a))
    a, b = binary_operands(a, b, "pow")
    if a._data.dtype.kind in "biu":
        if a._data.dtype.kind == "b":
            raise BoolNotImplementedError("\"pow\" not implemented for 'Bool'")
        try:
            out = _int_power(a._backend.xp, a._data, b._data)
        except ValueError:
            raise _broadcast_error("pow", a, b) from None
        return _wrap(out, a._backend)
    try:
        return Pow.apply(a, b)
    except ValueError:
        raise _broadcast_error("pow", a, b) from None


def _int_power(xp, a, b):
    """``a ** b`` for int arrays of one dtype, with PyTorch's results for negative exponents
    (``1 ** -n = 1``, ``(-1) ** -n = +-1``, anything else 0) where NumPy raises."""
    neg = b < 0
    if not neg.any():
        return xp.power(a, b)
    zero = xp.zeros((), dtype=b.dtype)
    out = xp.power(a, xp.where(neg, zero, b))
    one = xp.ones((), dtype=out.dtype)
    odd = (b % 2) != 0
    at_neg = xp.where(a == 1, one, xp.where(a == -1, xp.where(odd, -one, one), zero))
    return xp.asarray(xp.where(neg, at_neg, out), dtype=out.dtype)


def _int_pow_scalar(x, c, k):
    """``x ** c`` for an int or bool tensor ``x`` and a Python int or bool ``c``."""
    if x._data.dtype.kind == "b":
        if k == 0:   # bool ** bool stays bool, as in PyTorch: x ** True is x, x ** False is 1
            xp = x._backend.xp
            return _wrap(x._data.copy() if c else xp.ones(x._data.shape, dtype=x._data.dtype),
                         x._backend)
        x = _float_if_needed(x, k)
    if c < 0:
        raise IntegerPowerError("Integers to negative integer powers are not allowed.")
    return PowScalar.apply(x, c)


def maximum(input, other):
    """Elementwise maximum of two tensors (ties split the gradient evenly)."""
    a, b = input, other
    a, b = binary_operands(a, b, "maximum")
    try:
        return Maximum.apply(a, b)
    except ValueError:
        raise _broadcast_error("maximum", a, b) from None


def minimum(input, other):
    """Elementwise minimum of two tensors (ties split the gradient evenly)."""
    a, b = input, other
    a, b = binary_operands(a, b, "minimum")
    try:
        return Minimum.apply(a, b)
    except ValueError:
        raise _broadcast_error("minimum", a, b) from None


def where(condition, input, other):
    """``a`` where ``condition`` holds, else ``b`` (broadcast together).

    A Python number next to a tensor takes the tensor's dtype; two Python numbers give
    the default dtype of the higher kind (float32 for floats, int64 for ints), as in PyTorch.

    Example::

        >>> x = ag.tensor([-1.0, 2.0])
        >>> ag.where(x > 0, x, 0.0)
        tensor([0., 2.])
    """
    a, b = input, other
    ref = a if isinstance(a, Tensor) else (b if isinstance(b, Tensor) else None)
    if isinstance(condition, Tensor):
        cond_t = condition
    elif ref is not None:
        cond_t = as_tensor_operand(numpy.asarray(condition), ref, "where")
    else:
        raise TypeError("where: expected a Tensor condition or Tensor operands")
    if ref is None:
        ref = cond_t
        ka = scalar_kind(a)
        kb = scalar_kind(b)
        if ka is not None and kb is not None:
            # two Python numbers: the default dtype of the higher category (PyTorch)
            dt = _default_for_kind(builtins_max(ka, kb))
            xp = cond_t._backend.xp
            a = _wrap(xp.asarray(_py_scalar(a), dtype=dt), cond_t._backend)
            b = _wrap(xp.asarray(_py_scalar(b), dtype=dt), cond_t._backend)
        else:
            a = _wrap(cond_t._backend.xp.asarray(_py_scalar(a)), cond_t._backend) \
                if ka is not None else as_tensor_operand(a, cond_t, "where")
    if cond_t._data.dtype.kind != "b":
        raise DTypeError(f"where: condition must be a bool tensor, got {cond_t.dtype}")
    if isinstance(ref, Tensor) and cond_t._backend is not ref._backend:
        raise RuntimeError(f"expected all tensors to be on the same device, but found at least "
                           f"two devices, {cond_t.device} and {ref.device}! (in where)")
    a, b = binary_operands(a, b, "where")
    try:
        return Where.apply(a, b, cond_t._data)
    except ValueError:
        raise ShapeError(f"where: shapes {tuple(cond_t.shape)}, {tuple(a.shape)} and "
                         f"{tuple(b.shape)} cannot be broadcast together") from None


def clamp(input, min=None, max=None):  # noqa: A002 - PyTorch's names
    """Clamp into ``[min, max]`` (either may be None); tensor bounds broadcast.

    The gradient passes where ``min <= x <= max`` (PyTorch's rule).

    Example::

        >>> ag.clamp(ag.tensor([-2.0, 0.5, 3.0]), -1, 1)
        tensor([-1.0000,  0.5000,  1.0000])
    """
    x = input
    _check_tensor(x, "clamp")
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = _clamp_tensor(out, min, True)
        if max is not None:
            out = _clamp_tensor(out, max, False)
        return out
    for v, nm in ((min, "min"), (max, "max")):
        if v is not None and scalar_kind(v) is None:
            raise TypeError(f"clamp: {nm} must be a number or a Tensor, got {type(v).__name__}")
    kinds = [scalar_kind(v) for v in (min, max) if v is not None]
    x = _float_if_needed(x, builtins_max(kinds))
    return ClampScalar.apply(x, None if min is None else _py_scalar(min),
                             None if max is None else _py_scalar(max))


builtins_max = max


def _clamp_tensor(x, bound, is_min):
    bound = as_tensor_operand(bound, x, "clamp")
    # x where it is inside the bound (gradient to x at equality, like PyTorch), else the bound
    inside = ge(x, bound) if is_min else le(x, bound)
    return where(inside, x, bound)


clip = clamp


def neg(x):
    """``-x``."""
    _check_tensor(x, "neg")
    if x._data.dtype.kind == "b":
        raise DTypeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                         "you are trying to invert a mask, use the `~` or `logical_not()` "
                         "operator instead.")
    return Neg.apply(x)


negative = neg


def _unary(cls, name, float_only=True):
    def op(x):
        _check_tensor(x, name)
        if float_only and x._data.dtype.kind != "f":
            x = _as_float(x)
        return cls.apply(x)
    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = (f"``{name}(x)`` elementwise (see :class:`{cls.__name__}` for the gradient)."
                  f"\n\nExample::\n\n    >>> ag.{name}(ag.tensor([0.5, 1.0]))\n")
    return op


exp = _unary(Exp, "exp")
log = _unary(Log, "log")
log1p = _unary(Log1p, "log1p")
expm1 = _unary(Expm1, "expm1")
sqrt = _unary(Sqrt, "sqrt")
rsqrt = _unary(Rsqrt, "rsqrt")
sin = _unary(Sin, "sin")
cos = _unary(Cos, "cos")
reciprocal = _unary(Reciprocal, "reciprocal")
erf = _unary(Erf, "erf")
_abs = _unary(Abs, "abs", float_only=False)
_sign = _unary(Sign, "sign", float_only=False)
_square = _unary(Square, "square", float_only=False)


def abs(x):  # noqa: A001
    """``|x|`` elementwise (ints stay ints; not defined for bool, as in PyTorch)."""
    if isinstance(x, Tensor) and x._data.dtype.kind == "b":
        raise BoolNotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return _abs(x)


def sign(x):
    """``sign(x)`` elementwise (-1, 0, 1; a bool tensor gives itself, as in PyTorch)."""
    if isinstance(x, Tensor) and x._data.dtype.kind == "b":
        return _wrap(x._data.copy(), x._backend)
    return _sign(x)


def square(x):
    """``x * x`` elementwise (a bool tensor gives int64, as in PyTorch)."""
    if isinstance(x, Tensor) and x._data.dtype.kind == "b":
        x = to_dtype(x, _dtypes.int64)
    return _square(x)
floor = _unary(Floor, "floor", float_only=False)
ceil = _unary(Ceil, "ceil", float_only=False)
round = _unary(Round, "round", float_only=False)  # noqa: A001


def clone(x):
    """A copy of ``x`` that stays in the graph (gradient passes through)."""
    _check_tensor(x, "clone")
    return Clone.apply(x)


def fill_like(x, value):
    """A tensor shaped like ``x`` filled with ``value`` (for ``fill_``; no gradient to x)."""
    if isinstance(value, Tensor):
        if value._data.size != 1:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions")
        return add(_zeros_of(x), value.reshape(()).to(x.dtype))
    if scalar_kind(value) is None:
        raise TypeError(f"fill_: value must be a number or a 0-d Tensor, got "
                        f"{type(value).__name__}")
    arr = x._backend.xp.full(x.shape, _py_scalar(value), dtype=x._data.dtype)
    return constant_of(x, arr)


def _zeros_of(x):
    """Zeros shaped like ``x`` that stay a (zero-derivative) function of ``x`` when it is
    in the graph: what an in-place overwrite leaves of the old value (PyTorch's
    FillBackward / CopyBackwards give it a zero gradient, not none)."""
    return constant_of(x, x._backend.xp.zeros(x.shape, dtype=x._data.dtype))


def copy_from(x, src):
    """``src`` broadcast to ``x``'s shape, dtype and device (for ``copy_``; differentiable in src)."""
    if not isinstance(src, Tensor):
        if scalar_kind(src) is None and not isinstance(src, numpy.ndarray):
            raise TypeError(f"copy_: expected a Tensor source, got {type(src).__name__}")
        src = _wrap(x._backend.from_numpy(numpy.asarray(src)), x._backend)
    if src._backend is not x._backend:
        src = to_device(src, x._backend)
    if src._data.dtype != x._data.dtype:
        src = to_dtype(src, x._data.dtype)
    if src.shape != x.shape:
        try:
            src = broadcast_to(src, x.shape)
        except (ValueError, RuntimeError):
            raise ShapeError(f"copy_: source of shape {tuple(src.shape)} cannot be broadcast to "
                             f"{tuple(x.shape)}") from None
        src = clone(src)
    elif src._requires_grad:
        src = clone(src)
    if x._requires_grad and _state.enabled:
        return add(_zeros_of(x), src)
    return src


# ----------------------------------------------------------------------
# comparisons and logic (no gradient)
# ----------------------------------------------------------------------
def _compare(a, b, op, name):
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if b._backend is not a._backend:
                raise RuntimeError(f"expected all tensors to be on the same device, but found at "
                                   f"least two devices, {a.device} and {b.device}! (in {name})")
            bd = b._data
            ad = a._data
            if ad.dtype is not bd.dtype:
                ad, bd = _promote_arrays(ad, bd)
        elif scalar_kind(b) is not None:
            bd = _py_scalar(b)
            ad = _array_for_scalar(a._data, bd)
        else:
            ad, bd = _promote_arrays(a._data, as_tensor_operand(b, a, name)._data)
        backend = a._backend
    else:
        backend = b._backend
        bd = b._data
        if scalar_kind(a) is not None:
            ad = _py_scalar(a)
            bd = _array_for_scalar(bd, ad)
        else:
            ad, bd = _promote_arrays(as_tensor_operand(a, b, name)._data, bd)
    try:
        out = op(ad, bd)
        if isinstance(out, numpy.generic):   # 0-d operands give a NumPy scalar
            out = numpy.asarray(out)
        return _wrap(out, backend)
    except ValueError:
        raise ShapeError(f"{name}: shapes {numpy.shape(ad)} and {numpy.shape(bd)} cannot be "
                         "broadcast together") from None


def _array_for_scalar(arr, value):
    """An int or bool array compared with a Python float goes to the default float dtype
    first, as in PyTorch (``tensor([16777217]) == 16777216.0`` is True in float32)."""
    if type(value) is float and arr.dtype.kind in "biu":
        return arr.astype(_dtypes.get_default_dtype())
    return arr


def _promote_arrays(ad, bd):
    """Two arrays cast to their common dtype (PyTorch's promotion; 0-d ranks lower)."""
    if ad.dtype == bd.dtype:
        return ad, bd
    res = _common_dtype((ad, bd))
    return ad.astype(res, copy=False), bd.astype(res, copy=False)


def eq(input, other):
    """``input == other`` elementwise (bool tensor)."""
    return _compare(input, other, _op_eq, "eq")


def ne(input, other):
    """``input != other`` elementwise (bool tensor)."""
    return _compare(input, other, _op_ne, "ne")


def lt(input, other):
    """``input < other`` elementwise (bool tensor)."""
    return _compare(input, other, _op_lt, "lt")


def le(input, other):
    """``input <= other`` elementwise (bool tensor)."""
    return _compare(input, other, _op_le, "le")


def gt(input, other):
    """``input > other`` elementwise (bool tensor)."""
    return _compare(input, other, _op_gt, "gt")


def ge(input, other):
    """``input >= other`` elementwise (bool tensor)."""
    return _compare(input, other, _op_ge, "ge")


def _op_eq(a, b):
    return a == b


def _op_ne(a, b):
    return a != b


def _op_lt(a, b):
    return a < b


def _op_le(a, b):
    return a <= b


def _op_gt(a, b):
    return a > b


def _op_ge(a, b):
    return a >= b


def logical_and(a, b):
    """Elementwise logical and (bool result)."""
    return ne(_compare(a, b, lambda x, y: (x != 0) & (y != 0), "logical_and"), False)


def logical_or(a, b):
    """Elementwise logical or (bool result)."""
    return ne(_compare(a, b, lambda x, y: (x != 0) | (y != 0), "logical_or"), False)


def logical_xor(a, b):
    """Elementwise logical xor (bool result)."""
    return ne(_compare(a, b, lambda x, y: (x != 0) ^ (y != 0), "logical_xor"), False)


def logical_not(x):
    """Elementwise logical not (bool result)."""
    return _wrap(x._data == 0, x._backend)


def bitwise_and(a, b):
    """``a & b`` for bool/int tensors."""
    return _bit(a, b, "and")


def bitwise_or(a, b):
    """``a | b`` for bool/int tensors."""
    return _bit(a, b, "or")


def bitwise_xor(a, b):
    """``a ^ b`` for bool/int tensors."""
    return _bit(a, b, "xor")


def _bit(a, b, which):
    a, b = binary_operands(a, b, "bitwise_" + which)
    if a._data.dtype.kind == "f":
        raise TypeError(f"bitwise_{which}: not supported for float tensors")
    da, db = a._data, b._data
    out = da & db if which == "and" else (da | db if which == "or" else da ^ db)
    return _wrap(out, a._backend)


def bitwise_not(x):
    """``~x``: logical not for bool tensors, bitwise not for ints."""
    if x._data.dtype.kind == "f":
        raise TypeError("bitwise_not: not supported for float tensors")
    return _wrap(~x._data, x._backend)


def isnan(x):
    """Elementwise NaN test (bool tensor)."""
    return _wrap(x._backend.xp.isnan(x._data), x._backend)


def isinf(x):
    """Elementwise infinity test (bool tensor)."""
    return _wrap(x._backend.xp.isinf(x._data), x._backend)


def isfinite(x):
    """Elementwise finiteness test (bool tensor)."""
    return _wrap(x._backend.xp.isfinite(x._data), x._backend)


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True if ``|a - b| <= atol + rtol |b|`` everywhere."""
    a, b = binary_operands(a, b, "allclose")
    return bool(a._backend.xp.allclose(a._data, b._data, rtol=rtol, atol=atol,
                                       equal_nan=equal_nan))


def equal(a, b):
    """True if the tensors have the same shape and elements."""
    return a.shape == b.shape and bool((a._data == b._data).all())


# reflected helpers used as Tensor methods
def rsub(a, b):
    """``b - a`` (Tensor.__rsub__)."""
    return sub(b, a)


def rdiv(a, b):
    """``b / a`` (Tensor.__rtruediv__)."""
    return div(b, a)


def rpow(a, b):
    """``b ** a`` (Tensor.__rpow__)."""
    return pow(b, a)


def rfloordiv(a, b):
    """``b // a``."""
    return floor_divide(b, a)


def rmod(a, b):
    """``b % a``."""
    return remainder(b, a)
