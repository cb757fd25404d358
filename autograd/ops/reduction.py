"""Reductions: sum, mean, var, std, prod, logsumexp, norm, max/min, argmax/argmin.

Every reduction takes ``dim`` (None, an int or a tuple; negative allowed;
an empty tuple or list means every dim, except for all/any) and
``keepdim=False`` as in PyTorch.  This module also holds the shared
helper :func:`unbroadcast` (importable as ``from autograd.ops import
unbroadcast``) and its dual ``broadcast_to``, because summing a gradient
back to a shape *is* a reduction.

Example::

    >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x.sum(dim=1)
    tensor([3., 7.], grad_fn=<SumBackward0>)
    >>> values, indices = x.max(dim=0)
"""

import collections
import math

from .. import dtypes as _dtypes
from ..function import ArrayFunction, renamed
from ..grad_mode import _state
from ..tensor import Tensor, _wrap, _normalize_dim


_ALL_AXES = tuple(tuple(range(n)) for n in range(33))


def reduce_axes(dim, ndim, name):
    """Normalize ``dim`` (None, int, tuple/list) to a sorted tuple of axes (None and an
    empty tuple/list give every axis, as in PyTorch's sum/mean/var...)."""
    if dim is None:
        return _ALL_AXES[ndim] if ndim < len(_ALL_AXES) else tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        if not dim:   # PyTorch: an empty dim list reduces over every dim
            return _ALL_AXES[ndim] if ndim < len(_ALL_AXES) else tuple(range(ndim))
        axes = tuple(sorted(_normalize_dim(d, ndim, name) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"{name}: dim {tuple(dim)} appears multiple times in the list of "
                               "dims")
        if ndim == 0:
            return ()
        return axes
    d = _normalize_dim(dim, ndim, name)
    return () if ndim == 0 else (d,)


def _keep_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _reduced_shape(shape, axes, keepdim):
    if keepdim:
        return _keep_shape(shape, axes)
    return tuple(s for i, s in enumerate(shape) if i not in axes)


# ----------------------------------------------------------------------
# broadcast <-> sum-to: the pair every broadcasting gradient uses
# ----------------------------------------------------------------------
class SumTo(ArrayFunction):
    """Sum ``x`` down to ``shape`` (the inverse of broadcasting); gradient: broadcast back."""

    __slots__ = ("in_shape",)

    @staticmethod
    def forward(ctx, backend, x, shape):
        ctx.in_shape = x.shape
        return sum_to_array(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return BroadcastTo.apply(grad, ctx.in_shape)


class BroadcastTo(ArrayFunction):
    """Broadcast ``x`` to ``shape`` (a read-only view); gradient: sum back to x's shape."""

    backward_name = "ExpandBackward0"
    __slots__ = ("in_shape",)
    is_view = True

    @staticmethod
    def forward(ctx, backend, x, shape):
        ctx.in_shape = x.shape
        return backend.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return SumTo.apply(grad, ctx.in_shape)


def sum_to_array(x, shape):
    """Raw-array version of :func:`unbroadcast` (for backward fast paths)."""
    if x.shape == shape:
        return x
    nlead = x.ndim - len(shape)
    axes = tuple(range(nlead)) + tuple(
        i + nlead for i, s in enumerate(shape) if s == 1 and x.shape[i + nlead] != 1)
    out = x.sum(axis=axes, keepdims=True) if axes else x
    if out.shape != shape:
        out = out.reshape(shape)
    return out


def unbroadcast(grad, shape):
    """Sum the broadcast gradient ``grad`` back to ``shape`` (differentiable).

    The one place broadcasting is undone for every binary op's backward:
    leading dimensions that broadcasting added are summed away and
    dimensions where ``shape`` has size 1 are summed with keepdim.

    Example::

        >>> g = ag.ones(4, 3)
        >>> unbroadcast(g, (3,))          # tensor([4., 4., 4.])
    """
    if grad._data.shape == shape:
        return grad
    return SumTo.apply(grad, tuple(shape))


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (NumPy rules); gradient sums back.

    Example::

        >>> ag.broadcast_to(ag.tensor([1.0, 2.0]), (2, 2))
        tensor([[1., 2.],
                [1., 2.]])
    """
    shape = tuple(int(s) for s in shape)
    if x._data.shape == shape:
        return x
    try:
        return BroadcastTo.apply(x, shape)
    except ValueError:
        from .elementwise import ShapeError
        raise ShapeError(f"broadcast_to: the shape {tuple(x.shape)} cannot be broadcast to "
                         f"{shape}") from None


# ----------------------------------------------------------------------
# sum and mean
# ----------------------------------------------------------------------
class Sum(ArrayFunction):
    """``sum over axes``; gradient: ``grad`` broadcast back over the summed axes."""

    __slots__ = ("in_shape", "axes", "keepdim")

    @staticmethod
    def forward(ctx, backend, x, axes, keepdim, dtype):
        ctx.in_shape = x.shape
        ctx.axes = axes
        ctx.keepdim = keepdim
        if len(axes) == x.ndim:
            out = backend.sum_all(x, dtype)
            return out.reshape((1,) * x.ndim) if keepdim else out
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        return ExpandReduced.apply(grad, ctx.axes, ctx.keepdim, ctx.in_shape)


class ExpandReduced(ArrayFunction):
    """Broadcast a reduced gradient back to ``in_shape`` (the dual of :class:`Sum`)."""

    __slots__ = ("axes", "keepdim")

    @staticmethod
    def forward(ctx, backend, g, axes, keepdim, in_shape):
        ctx.axes = axes
        ctx.keepdim = keepdim
        if not keepdim:
            g = g.reshape(_keep_shape(in_shape, axes))
        return backend.broadcast_to(g, in_shape)

    @staticmethod
    def backward(ctx, grad):
        return Sum.apply(grad, ctx.axes, ctx.keepdim, None)


_SumDim = renamed(Sum, "SumBackward1")    # a sum over given dims (PyTorch's name)


def sum(input, dim=None, keepdim=False, dtype=None):  # noqa: A001 - PyTorch's name
    """Sum of the elements over ``dim`` (all when None). Ints and bools sum to int64.

    Example::

        >>> ag.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(1)
        tensor([3., 7.])
    """
    x = input
    _check(x, "sum")
    axes = reduce_axes(dim, x._data.ndim, "sum")
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype)
    elif x._data.dtype.kind in "biu":
        dtype = _dtypes.int64
    return (Sum if dim is None else _SumDim).apply(x, axes, bool(keepdim), dtype)


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def mean(input, dim=None, keepdim=False, dtype=None):
    """Mean over ``dim`` (all when None); float tensors only, as in PyTorch.

    Example::

        >>> ag.tensor([1.0, 2.0, 6.0]).mean()
        tensor(3.)
    """
    x = input
    _check(x, "mean")
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be a "
                           f"floating point dtype, got {x.dtype}; use x.float().mean()")
    axes = reduce_axes(dim, x._data.ndim, "mean")
    n = _count(x._data.shape, axes)
    s = Sum.apply(x, axes, bool(keepdim), None)
    scale = _E.MeanScale if dim is None else _E.MeanDimScale
    return scale.apply(s, float(n)) if n != 0 else _E.MulScalar.apply(s, math.nan)


def _parse_var_args(name, dim, unbiased, keepdim, correction):
    # PyTorch's overloads: var(unbiased), var(dim, unbiased, keepdim), var(dim, correction=..)
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    if correction is None:
        correction = 1 if (unbiased is None or unbiased) else 0
    elif unbiased is not None:
        raise TypeError(f"{name}: give either unbiased or correction, not both")
    return dim, keepdim, correction


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``: ``sum((x - mean)^2) / (N - correction)``.

    ``unbiased=True`` (the default) is ``correction=1``; ``unbiased=False`` is 0.

    Example::

        >>> ag.tensor([1.0, 2.0, 3.0, 4.0]).var()
        tensor(1.6667)
    """
    x = input
    _check(x, "var")
    dim, keepdim, correction = _parse_var_args("var", dim, unbiased, keepdim, correction)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"var(): input dtype must be floating point, got {x.dtype}")
    axes = reduce_axes(dim, x._data.ndim, "var")
    n = _count(x._data.shape, axes)
    mu = mean(x, axes, keepdim=True)
    d = _E.sub(x, mu)
    ss = Sum.apply(_E.mul(d, d), axes, bool(keepdim), None)
    denom = n - correction
    if denom <= 0:
        return _E.VarScale.apply(ss, 0.0) if n > 0 else _E.MulScalar.apply(ss, math.nan)
    return _E.VarScale.apply(ss, float(denom))


class Std(ArrayFunction):
    """``sqrt(var)``; gradient ``grad (x - mean) / ((N - c) std)``, 0 where std = 0 (PyTorch)."""

    __slots__ = ("axes", "keepdim", "denom")
    save_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, backend, x, axes, keepdim, correction):
        xp = backend.xp
        n = _count(x.shape, axes)
        ctx.axes = axes
        ctx.keepdim = keepdim
        ctx.denom = n - correction
        if n == 0:
            shape = _reduced_shape(x.shape, axes, keepdim)
            return xp.full(shape, math.nan, dtype=x.dtype)
        mu = x.mean(axis=axes, keepdims=True)
        d = x - mu
        ss = (d * d).sum(axis=axes, keepdims=keepdim)
        denom = n - correction   # (ctx may be shared scratch: never read it back here)
        with_nan = ss / denom if denom > 0 else ss / xp.asarray(0.0, dtype=x.dtype)
        return xp.asarray(xp.sqrt(with_nan), dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axes = ctx.axes
        if not ctx.keepdim:
            keep = _keep_shape(x.shape, axes)
            grad = grad.reshape(keep)
            out = out.reshape(keep)
        mu = mean(x, axes, keepdim=True)
        d = _E.sub(x, mu)
        scale = _E.div(grad, _E.MulScalar.apply(out, float(ctx.denom)))
        zero = _wrap(x._backend.xp.zeros((), dtype=x.dtype), x._backend)
        safe = _E.where(_E.eq(out, 0), zero, scale)
        return _E.mul(d, safe)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``: ``sqrt(var(x, dim, ...))``.

    Example::

        >>> ag.tensor([1.0, 3.0]).std()
        tensor(1.4142)
    """
    x = input
    _check(x, "std")
    dim, keepdim, correction = _parse_var_args("std", dim, unbiased, keepdim, correction)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"std(): input dtype must be floating point, got {x.dtype}")
    axes = reduce_axes(dim, x._data.ndim, "std")
    return Std.apply(x, axes, bool(keepdim), correction)


# ----------------------------------------------------------------------
# prod
# ----------------------------------------------------------------------
class Prod(ArrayFunction):
    """Product over one axis (or all); the gradient is the product of the *other*
    elements, computed with exclusive cumulative products so zeros are exact."""

    __slots__ = ("axis", "keepdim")
    save_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, backend, x, axis, keepdim, dtype):
        ctx.axis = axis
        ctx.keepdim = keepdim
        xp = backend.xp
        if axis is None:
            out = xp.asarray(x.prod(dtype=dtype))
            if keepdim:
                out = out.reshape((1,) * x.ndim)
            return out
        return xp.asarray(x.prod(axis=axis, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axis = ctx.axis
        shape = x.shape
        if axis is None:
            flat_x = x.reshape(-1)
            g = grad.reshape(())
            others = _prod_others(flat_x, 0)
            return _E.mul(others, g).reshape(shape)
        g = grad if ctx.keepdim else grad.unsqueeze(axis)
        return _E.mul(_prod_others(x, axis), g)


def _prod_others(x, axis):
    """For each element, the product of the other elements along ``axis``."""
    xp = x._backend.xp
    if _state.enabled:
        # differentiable path (create_graph): prod / x without zeros, else an explicit
        # product over the other elements: where(eye, 1, x broadcast to n x n).prod(-1)
        if not bool((x._data == 0).any()):
            p = prod(x, axis, keepdim=True)
            return _E.div(p, x)
        if x._data.ndim == 0:
            return _E.constant_of(x, xp.ones((), dtype=x._data.dtype))
        from .shape import transpose
        last = x._data.ndim - 1
        xt = transpose(x, axis, last) if axis != last else x
        n = xt.shape[-1]
        rows = broadcast_to(xt.unsqueeze(-2), tuple(xt.shape[:-1]) + (n, n))
        eye = _wrap(xp.eye(n, dtype=bool), x._backend)
        others = prod(_E.where(eye, 1.0, rows), -1)
        return transpose(others, axis, last) if axis != last else others
    data = x._data
    n = data.shape[axis] if data.ndim else 1
    if data.ndim == 0:
        return _wrap(xp.ones((), dtype=data.dtype), x._backend)
    moved = xp.moveaxis(data, axis, -1)
    ones = xp.ones(moved.shape[:-1] + (1,), dtype=data.dtype)
    left = xp.concatenate([ones, xp.cumprod(moved[..., :-1], axis=-1)], axis=-1) if n > 0 \
        else moved
    rev = moved[..., ::-1]
    right = xp.concatenate([ones, xp.cumprod(rev[..., :-1], axis=-1)], axis=-1)[..., ::-1] \
        if n > 0 else moved
    others = xp.moveaxis(left * right, -1, axis)
    return _wrap(xp.ascontiguousarray(others), x._backend)


def prod(input, dim=None, keepdim=False, dtype=None):
    """Product of the elements (over the int ``dim`` when given). Ints give int64.

    Example::

        >>> ag.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1)
        tensor([ 2., 12.])
    """
    x = input
    _check(x, "prod")
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype)
    elif x._data.dtype.kind in "biu":
        dtype = _dtypes.int64
    axis = None
    if dim is not None:
        if isinstance(dim, (tuple, list)):
            raise TypeError("prod: dim must be an int (PyTorch's prod reduces one dim)")
        axis = _normalize_dim(dim, x._data.ndim, "prod")
        if x._data.ndim == 0:
            axis = None
    return Prod.apply(x, axis, bool(keepdim), dtype)


# ----------------------------------------------------------------------
# logsumexp and norm
# ----------------------------------------------------------------------
class LogSumExp(ArrayFunction):
    """``log(sum(exp(x)))`` over axes, computed stably; gradient ``grad * exp(x - out)``."""

    backward_name = "LogsumexpBackward0"
    __slots__ = ("axes", "keepdim")
    save_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, backend, x, axes, keepdim):
        ctx.axes = axes
        ctx.keepdim = keepdim
        xp = backend.xp
        if x.size == 0:
            return xp.full(_reduced_shape(x.shape, axes, keepdim), -math.inf, dtype=x.dtype)
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, xp.zeros((), dtype=x.dtype))
        s = xp.exp(x - m).sum(axis=axes, keepdims=True)
        out = xp.log(s) + m
        if not keepdim:
            out = out.reshape(_reduced_shape(x.shape, axes, False))
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if not ctx.keepdim:
            keep = _keep_shape(x.shape, ctx.axes)
            grad = grad.reshape(keep)
            out = out.reshape(keep)
        return _E.mul(grad, _E.exp(_E.sub(x, out)))


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(x), dim))``, numerically stable (``dim`` is required, as in PyTorch).

    Example::

        >>> ag.logsumexp(ag.tensor([0.0, 0.0]), dim=0)
        tensor(0.6931)
    """
    x = input
    _check(x, "logsumexp")
    x = _E._as_float(x)
    axes = reduce_axes(dim, x._data.ndim, "logsumexp")
    return LogSumExp.apply(x, axes, bool(keepdim))


class Norm(ArrayFunction):
    """Vector p-norm over axes: ``(sum |x|^p)^(1/p)``; ``p = inf`` is ``max |x|``.

    Gradient: ``grad * x |x|^(p-2) / norm^(p-1)`` (0 where the norm is 0, as
    in PyTorch); ``p = 1``: ``grad * sign x``; ``p = inf``: shared evenly
    between the elements reaching the maximum.
    """

    backward_name = "LinalgVectorNormBackward0"   # torch.norm calls linalg.vector_norm
    __slots__ = ("axes", "keepdim", "p")
    save_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, backend, x, p, axes, keepdim):
        ctx.axes = axes
        ctx.keepdim = keepdim
        ctx.p = p
        xp = backend.xp
        a = xp.abs(x)
        if p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        elif p == 1:
            out = a.sum(axis=axes, keepdims=keepdim)
        elif p == math.inf:
            out = a.max(axis=axes, keepdims=keepdim) if x.size else \
                xp.zeros(_reduced_shape(x.shape, axes, keepdim), dtype=x.dtype)
        elif p == -math.inf:
            out = a.min(axis=axes, keepdims=keepdim)
        elif p == 0:
            out = (x != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
        else:
            out = (a ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
        return xp.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        p = ctx.p
        if not ctx.keepdim:
            keep = _keep_shape(x.shape, ctx.axes)
            grad = grad.reshape(keep)
            out = out.reshape(keep)
        xp = x._backend.xp
        zero = _wrap(xp.zeros((), dtype=x.dtype), x._backend)
        if p == 0:
            return _E.mul(x, zero)
        if p == 1:
            return _E.mul(grad, _E.sign(x))
        if p == math.inf or p == -math.inf:
            mask = _E.eq(_E.abs(x), out)
            maskf = _E.constant_of(x, mask._data.astype(x.dtype))
            count = Sum.apply(maskf, ctx.axes, True, None)
            return _E.mul(_E.mul(grad, _E.sign(x)), _E.div(maskf, count))
        if p == 2:
            scale = _E.div(grad, out)
            return _E.where(_E.eq(out, 0), zero, _E.mul(x, scale))
        # general p: x |x|^(p-2) / norm^(p-1)
        num = _E.mul(x, _E.pow(_E.abs(x), p - 2))
        val = _E.div(_E.mul(grad, num), _E.pow(out, p - 1))
        return _E.where(_E.eq(out, 0), zero, val)


def norm(input, p=2, dim=None, keepdim=False):
    """The vector p-norm over ``dim`` (all elements when None).

    ``p`` may be a positive number, ``inf``, ``-inf``, 0 (count of nonzeros) or
    ``"fro"`` (= 2).

    Example::

        >>> ag.tensor([3.0, 4.0]).norm()
        tensor(5.)
    """
    x = input
    _check(x, "norm")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm: unsupported p={p!r} (use a number, inf or 'fro')")
    x = _E._as_float(x)
    axes = reduce_axes(dim, x._data.ndim, "norm")
    return Norm.apply(x, float(p), axes, bool(keepdim))


# ----------------------------------------------------------------------
# max / min / argmax / argmin
# ----------------------------------------------------------------------
class MaxReduce(ArrayFunction):
    """max (or min) over axes; gradient shared evenly between tied elements (PyTorch's
    rule for full reductions and amax/amin).  With ``nan_ties`` (``max()``/``min()``
    without dim, as in PyTorch) a nan result sends the gradient to the nan elements."""

    backward_name = "MaxBackward1"
    __slots__ = ("axes", "keepdim", "is_max", "nan_ties")
    save_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, backend, x, axes, keepdim, is_max, nan_ties=False):
        ctx.axes = axes
        ctx.keepdim = keepdim
        ctx.is_max = is_max
        ctx.nan_ties = nan_ties
        out = x.max(axis=axes, keepdims=keepdim) if is_max else x.min(axis=axes, keepdims=keepdim)
        return backend.xp.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if not ctx.keepdim:
            keep = _keep_shape(x.shape, ctx.axes)
            grad = grad.reshape(keep)
            out = out.reshape(keep)
        mask = (x._data == out._data).astype(x._data.dtype)
        count = mask.sum(axis=ctx.axes, keepdims=True)
        if ctx.nan_ties:   # a nan result: the nans are the max (no host sync off the cpu)
            xp = x._backend.xp
            if x._backend.name != "cpu":
                mask = mask + (xp.isnan(x._data) & xp.isnan(out._data)).astype(mask.dtype)
                count = mask.sum(axis=ctx.axes, keepdims=True)
            elif not count.all():
                mask = xp.isnan(x._data).astype(x._data.dtype)
                count = mask.sum(axis=ctx.axes, keepdims=True)
        weight = _E.constant_of(x, mask / count)
        return _E.mul(grad, weight)


MaxMinResult = collections.namedtuple("MaxMinResult", ["values", "indices"])


class MaxDim(ArrayFunction):
    """max (or min) along one dim, returning ``(values, indices)``; the gradient goes to
    the selected index (PyTorch's rule)."""

    backward_name = "MaxBackward0"
    __slots__ = ("axis", "keepdim", "indices", "in_shape")
    save_inputs = ()
    multi_output = True
    non_differentiable = (1,)

    @staticmethod
    def forward(ctx, backend, x, axis, keepdim, is_max):
        xp = backend.xp
        idx = xp.argmax(x, axis=axis, keepdims=True) if is_max else \
            xp.argmin(x, axis=axis, keepdims=True)
        values = xp.take_along_axis(x, idx, axis=axis)
        if not keepdim:
            values = values.squeeze(axis)
            out_idx = idx.squeeze(axis)
        else:
            out_idx = idx
        ctx.axis = axis
        ctx.keepdim = keepdim
        ctx.indices = idx
        ctx.in_shape = x.shape
        return values, out_idx.astype(xp.int64)

    @staticmethod
    def backward(ctx, grad, grad_indices=None):
        xp = grad._backend.xp
        axis = ctx.axis
        g = grad if ctx.keepdim else grad.unsqueeze(axis)
        n = ctx.in_shape[axis]
        pos_shape = [1] * len(ctx.in_shape)
        pos_shape[axis] = n
        positions = xp.arange(n).reshape(pos_shape)
        mask = _wrap((positions == ctx.indices).astype(grad._data.dtype), grad._backend)
        return _E.mul(g, mask)


def _minmax(x, dim, keepdim, is_max, name, other=None):
    _check(x, name)
    if other is None and isinstance(dim, Tensor):
        other, dim = dim, None
    if other is not None:
        return _E.maximum(x, other) if is_max else _E.minimum(x, other)
    if x._data.size == 0 and dim is None:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    if dim is None:
        return MaxReduce.apply(x, tuple(range(x._data.ndim)), False, is_max, True)
    axis = _normalize_dim(dim, x._data.ndim, name)
    if x._data.ndim == 0:
        return MaxMinResult(x.clone(), _wrap(x._backend.xp.zeros((), dtype="int64"), x._backend))
    if x._data.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size")
    values, indices = MaxDim.apply(x, axis, bool(keepdim), is_max)
    return MaxMinResult(values, indices)


def max(input, dim=None, keepdim=False, *, other=None):  # noqa: A001
    """Maximum: of all elements (0-d) when ``dim`` is None, else ``(values, indices)``
    along ``dim``; ``max(a, b)`` with a Tensor ``b`` is :func:`maximum`.

    Example::

        >>> x = ag.tensor([[1.0, 5.0], [4.0, 2.0]])
        >>> x.max()
        tensor(5.)
        >>> x.max(dim=1).indices
        tensor([1, 0])
    """
    x = input
    return _minmax(x, dim, keepdim, True, "max", other)


def min(input, dim=None, keepdim=False, *, other=None):  # noqa: A001
    """Minimum: of all elements when ``dim`` is None, else ``(values, indices)``."""
    x = input
    return _minmax(x, dim, keepdim, False, "min", other)


def amax(input, dim=(), keepdim=False):
    """Maximum over ``dim`` (int or tuple; all when empty); ties share the gradient."""
    x = input
    _check(x, "amax")
    axes = reduce_axes(dim, x._data.ndim, "amax")
    if x._data.size == 0:
        _check_empty_reduction(x, dim, axes, "amax")
    return MaxReduce.apply(x, axes, bool(keepdim), True, False)


def amin(input, dim=(), keepdim=False):
    """Minimum over ``dim`` (int or tuple; all when empty); ties share the gradient."""
    x = input
    _check(x, "amin")
    axes = reduce_axes(dim, x._data.ndim, "amin")
    if x._data.size == 0:
        _check_empty_reduction(x, dim, axes, "amin")
    return MaxReduce.apply(x, axes, bool(keepdim), False, False)


class EmptyReductionError(IndexError, RuntimeError):
    """A max/min/argmax-style reduction of an empty tensor or over a dim of size 0 (PyTorch
    raises IndexError or RuntimeError depending on the case; this is both)."""


def _check_empty_reduction(x, dim, axes, name):
    """Raise PyTorch's errors for an identity-less reduction of the empty tensor ``x``."""
    if dim is None or (isinstance(dim, (list, tuple)) and not dim):
        raise EmptyReductionError(f"{name}(): Expected reduction dim to be specified for "
                                  "input.numel() == 0. Specify the reduction dim with the "
                                  "'dim' argument.")
    for a in axes:
        if x._data.shape[a] == 0:
            raise EmptyReductionError(f"{name}(): Expected reduction dim {a} to have non-zero "
                                      "size.")


def _arg(x, dim, keepdim, is_max, name):
    _check(x, name)
    xp = x._backend.xp
    data = x._data
    if data.dtype.kind == "b":
        raise _E.DTypeError(f"{name}(): does not support bool input")
    if data.size == 0:
        if dim is None:
            raise EmptyReductionError(f"{name}(): Expected reduction dim to be specified for "
                                      "input.numel() == 0.")
        axis = _normalize_dim(dim, data.ndim, name)
        if data.ndim == 0 or data.shape[axis] == 0:
            raise EmptyReductionError(f"{name}(): Expected reduction dim {axis} to have "
                                      "non-zero size.")
    fn = xp.argmax if is_max else xp.argmin
    if dim is None:
        out = fn(data.reshape(-1))
        out = xp.asarray(out, dtype=xp.int64)
        if keepdim:
            out = out.reshape((1,) * data.ndim)
        return _wrap(out, x._backend)
    axis = _normalize_dim(dim, data.ndim, name)
    if data.ndim == 0:
        return _wrap(xp.zeros((), dtype=xp.int64), x._backend)
    return _wrap(xp.asarray(fn(data, axis=axis, keepdims=bool(keepdim)), dtype=xp.int64),
                 x._backend)


def argmax(input, dim=None, keepdim=False):
    """Index of the maximum (first one on ties) over the flattened tensor or along ``dim``."""
    x = input
    return _arg(x, dim, keepdim, True, "argmax")


def argmin(input, dim=None, keepdim=False):
    """Index of the minimum (first one on ties) over the flattened tensor or along ``dim``."""
    x = input
    return _arg(x, dim, keepdim, False, "argmin")


def all(input, dim=None, keepdim=False):  # noqa: A001
    """True where every element (over ``dim``) is nonzero (bool tensor)."""
    x = input
    _check(x, "all")
    # (unlike sum, PyTorch's all/any reduce nothing for an empty dim list)
    axes = () if isinstance(dim, (list, tuple)) and not dim else \
        reduce_axes(dim, x._data.ndim, "all")
    return _wrap(x._backend.xp.asarray((x._data != 0).all(axis=axes, keepdims=bool(keepdim))),
                 x._backend)


def any(input, dim=None, keepdim=False):  # noqa: A001
    """True where some element (over ``dim``) is nonzero (bool tensor)."""
    x = input
    _check(x, "any")
    axes = () if isinstance(dim, (list, tuple)) and not dim else \
        reduce_axes(dim, x._data.ndim, "any")
    return _wrap(x._backend.xp.asarray((x._data != 0).any(axis=axes, keepdims=bool(keepdim))),
                 x._backend)


def _check(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")


from . import elementwise as _E  # noqa: E402  (cycle: elementwise uses unbroadcast)
