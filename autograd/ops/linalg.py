"""Linear algebra: matmul (NumPy/PyTorch rules), mm, bmm, dot, outer, and the fused
``linear`` used by ``nn.Linear``.

Products go through the backend (``backend.matmul`` / ``backend.gemm`` /
``backend.linear_forward``), so the cpu backend's BLAS kernels do the work.
Backward uses gemm transpose flags when nothing is recorded, and the
differentiable ``matmul`` itself under ``create_graph=True``.

Example::

    >>> a = ag.randn(4, 3, requires_grad=True)
    >>> w = ag.randn(5, 3, requires_grad=True)
    >>> y = ag.linear(a, w)          # a @ w.T, shape (4, 5)
"""

from ..function import ArrayFunction, renamed
from ..grad_mode import _state
from ..tensor import Tensor, _wrap
from .elementwise import binary_operands, scalar_kind, ShapeError, mul
from .reduction import unbroadcast, sum as _sum


def _check(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")


def _matmul_shape_check(a_shape, b_shape, name="matmul"):
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise RuntimeError(f"{name}: both arguments need to be at least 1D, but they are "
                           f"{len(a_shape)}D and {len(b_shape)}D")
    k_a = a_shape[-1]
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if k_a != k_b:
        raise ShapeError(f"{name}: shapes {tuple(a_shape)} and {tuple(b_shape)} do not align "
                         f"({k_a} != {k_b})")
    batch_a = a_shape[:-2]
    batch_b = b_shape[:-2]
    for x, y in zip(reversed(batch_a), reversed(batch_b)):
        if x != y and x != 1 and y != 1:
            raise ShapeError(f"{name}: batch dimensions of shapes {tuple(a_shape)} and "
                             f"{tuple(b_shape)} cannot be broadcast together")


class MatMul(ArrayFunction):
    """``a @ b`` with numpy's rules (1-d operands, batched, broadcast batch dims).

    Gradients: ``grad @ b^T`` and ``a^T @ grad``, summed over broadcast batch dims.
    """

    backward_name = "MmBackward0"
    __slots__ = ()
    num_inputs = 2
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, backend, a, b):
        return backend.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        if a.ndim == 2 and b.ndim == 2 and not _state.enabled:
            backend = grad._backend
            g = grad._data
            ga = _wrap(backend.gemm(g, b._data, trans_b=True), backend) if need[0] else None
            gb = _wrap(backend.gemm(a._data, g, trans_a=True), backend) if need[1] else None
            return ga, gb
        if a.ndim == 1 and b.ndim == 1:   # dot product
            return (mul(grad, b) if need[0] else None, mul(grad, a) if need[1] else None)
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g2 = grad
        if a.ndim == 1:
            g2 = g2.unsqueeze(-2)
        if b.ndim == 1:
            g2 = g2.unsqueeze(-1)
        ga = gb = None
        if need[0]:
            ga = unbroadcast(matmul(g2, b2.transpose(-1, -2)), a2.shape)
            if a.ndim == 1:
                ga = ga.reshape(a.shape)
        if need[1]:
            gb = unbroadcast(matmul(a2.transpose(-1, -2), g2), b2.shape)
            if b.ndim == 1:
                gb = gb.reshape(b.shape)
        return ga, gb


def matmul(input, other):
    """Matrix product with NumPy/PyTorch rules.

    1-d @ 1-d is a dot product; a 1-d operand is treated as a row (left) or
    column (right) vector; batch dims broadcast.

    Example::

        >>> ag.matmul(ag.ones(2, 3), ag.ones(3)).shape
        (2,)
        >>> ag.matmul(ag.ones(5, 2, 3), ag.ones(3, 4)).shape
        (5, 2, 4)
    """
    a = input
    b = other
    if not isinstance(a, Tensor) or not isinstance(b, Tensor) or \
            a._data.dtype is not b._data.dtype or a._backend is not b._backend:
        for operand, name in ((a, "input"), (b, "other")):
            if scalar_kind(operand) is not None:   # `t @ 2`: as Python's @ with a number
                raise TypeError(f"matmul(): argument '{name}' must be Tensor, not "
                                f"{type(operand).__name__}")
        a, b = binary_operands(a, b, "matmul")
    _matmul_shape_check(a._data.shape, b._data.shape)
    ndims = (a._data.ndim, b._data.ndim)
    if ndims == (1, 1):
        return _Dot.apply(a, b)
    if ndims == (2, 1):
        return _Mv.apply(a, b)
    return MatMul.apply(a, b)


def mm(input, mat2):
    """Product of two 2-D matrices.

    Example::

        >>> ag.mm(ag.ones(2, 3), ag.ones(3, 4)).shape
        (2, 4)
    """
    a, b = input, mat2
    _check(a, "mm")
    _check(b, "mm")
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)}")
    a, b = binary_operands(a, b, "mm")
    _matmul_shape_check(a.shape, b.shape, "mm")
    return MatMul.apply(a, b)


def bmm(input, mat2):
    """Batched product of two 3-D tensors with the same batch size.

    Example::

        >>> ag.bmm(ag.ones(5, 2, 3), ag.ones(5, 3, 4)).shape
        (5, 2, 4)
    """
    a, b = input, mat2
    _check(a, "bmm")
    _check(b, "bmm")
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"bmm: expected 3-D tensors, got shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)}")
    if a.shape[0] != b.shape[0]:
        raise ShapeError(f"bmm: batch sizes differ: shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)} ({a.shape[0]} != {b.shape[0]})")
    a, b = binary_operands(a, b, "bmm")
    _matmul_shape_check(a.shape, b.shape, "bmm")
    return MatMul.apply(a, b)


def dot(input, tensor):
    """Dot product of two 1-D tensors of the same length.

    Example::

        >>> ag.dot(ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0]))
        tensor(11.)
    """
    a, b = input, tensor
    _check(a, "dot")
    _check(b, "dot")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise ShapeError(f"dot: inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                         f"[{b.shape[0]}] to have the same number of elements")
    a, b = binary_operands(a, b, "dot")
    return MatMul.apply(a, b)


def inner(input, other):
    """Inner product of two 1-D tensors (:func:`dot` with PyTorch's ``other=`` name)."""
    return dot(input, other)


def outer(input, vec2):
    """Outer product of two 1-D tensors: ``out[i, j] = a[i] * b[j]``.

    Example::

        >>> ag.outer(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 10.0]))
        tensor([[ 1., 10.],
                [ 2., 20.]])
    """
    a, b = input, vec2
    _check(a, "outer")
    _check(b, "outer")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: 1D tensors expected, but got {a.ndim}D and {b.ndim}D")
    return mul(a.unsqueeze(1), b.unsqueeze(0))


ger = outer


# PyTorch's node names for the vector cases of matmul
_Dot = renamed(MatMul, "DotBackward0")
_Mv = renamed(MatMul, "MvBackward0")


class Linear(ArrayFunction):
    """Fused ``x @ weight.T + bias`` for ``x`` of shape (..., in).

    Forward: one ``backend.linear_forward`` (gemm with the bias via beta) on a
    2-D view.  Backward with gemm transpose flags: ``grad @ W``, ``grad^T @ x``,
    ``grad.sum(0)``; under ``create_graph`` the same formulas with
    differentiable ops.
    """

    backward_name = "AddmmBackward0"
    __slots__ = ("has_bias",)
    num_inputs = None
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, backend, arrays, in_shape):
        x = arrays[0]
        weight = arrays[1]
        bias = arrays[2] if len(arrays) > 2 else None
        ctx.has_bias = bias is not None
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        out = backend.linear_forward(x2, weight, bias)
        if x.ndim != 2:
            out = out.reshape(x.shape[:-1] + (weight.shape[0],))
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        n_out = weight.shape[0]
        n_in = weight.shape[1]
        gx = gw = gb = None
        if not _state.enabled:
            backend = grad._backend
            g2 = grad._data.reshape(-1, n_out)
            if need[0]:
                gx = _wrap(backend.gemm(g2, weight._data).reshape(x.shape), backend)
            if need[1]:
                x2 = x._data.reshape(-1, n_in)
                gw = _wrap(backend.gemm(g2, x2, trans_a=True), backend)
            if len(need) > 2 and need[2]:
                gb = _wrap(g2.sum(axis=0), backend)
        else:
            g2 = grad.reshape(-1, n_out)
            if need[0]:
                gx = matmul(g2, weight).reshape(x.shape)
            if need[1]:
                gw = matmul(g2.transpose(0, 1), x.reshape(-1, n_in))
            if len(need) > 2 and need[2]:
                gb = _sum(g2, 0)
        if len(need) > 2:
            return gx, gw, gb
        return gx, gw


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` (``nn.Linear``'s op): input (..., in), weight (out, in),
    bias (out,).

    Example::

        >>> ag.linear(ag.ones(2, 3), ag.ones(4, 3), ag.zeros(4)).shape
        (2, 4)
    """
    x = input
    _check(x, "linear")
    _check(weight, "linear")
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                           f"{tuple(weight.shape)}")
    if x.ndim == 0:
        raise RuntimeError("linear: input must be at least 1-D")
    if x.shape[-1] != weight.shape[1]:
        raise ShapeError(f"linear: shapes {tuple(x.shape)} and {tuple(weight.shape)} do not "
                         f"align: input has {x.shape[-1]} features but weight expects "
                         f"{weight.shape[1]} ({x.shape[-1]} != {weight.shape[1]})")
    tensors = [x, weight]
    if bias is not None:
        _check(bias, "linear")
        if bias.shape not in ((weight.shape[0],), ()):
            raise ShapeError(f"linear: bias shape {tuple(bias.shape)} does not match "
                             f"out_features {weight.shape[0]}")
        if bias.ndim == 0:
            bias = bias.expand(weight.shape[0])
        tensors.append(bias)
    dtype = x._data.dtype
    if any(t._data.dtype != dtype for t in tensors) or dtype.kind != "f":
        from .elementwise import promote_tensors, _as_float
        tensors = promote_tensors([_as_float(t) for t in tensors], "linear")
    if x.ndim == 1:
        out = Linear.apply(tensors, x.shape)
        return out
    return Linear.apply(tensors, x.shape)
