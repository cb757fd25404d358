"""Indexing: ``x[index]`` and ``x[index] = value``, plus narrow/select.

Indices may combine ints, slices (positive steps, as in PyTorch), ``None``,
``...``, integer arrays/tensors/lists and bool masks.  Basic indexing (no
arrays) returns a view sharing memory and version counter with ``x``;
advanced indexing returns a copy.  The gradient of an indexed read scatters
back into zeros, *accumulating* at repeated indices.

Example::

    >>> x = ag.arange(6.0).reshape(2, 3).requires_grad_()
    >>> x[:, [0, 0, 2]].sum().backward()
    >>> x.grad
    tensor([[2., 0., 1.],
            [2., 0., 1.]])
"""

import numbers

import numpy

from ..function import ArrayFunction
from ..grad_mode import _state
from ..tensor import Tensor, _wrap, _normalize_dim
from .reduction import unbroadcast
from .elementwise import scalar_kind, as_tensor_operand, to_dtype, ShapeError


def convert_index(x, index):
    """Normalize a user index to one usable on ``x._data``.

    Returns ``(index_tuple, advanced)``; Tensors/lists/ndarrays become device
    arrays of ``x``'s backend.
    """
    if not isinstance(index, tuple):
        index = (index,)
    backend = x._backend
    out = []
    advanced = False
    for item in index:
        if item is None or item is Ellipsis:
            out.append(item)
        elif isinstance(item, slice):
            if item.step is not None:
                step = _as_int(item.step, "slice step")
                if step <= 0:
                    raise ValueError(f"step must be greater than zero (got slice step {step})")
            out.append(slice(_opt_int(item.start), _opt_int(item.stop), _opt_int(item.step)))
        elif isinstance(item, bool) or isinstance(item, numpy.bool_):
            out.append(backend.xp.asarray(bool(item)))
            advanced = True
        elif isinstance(item, numbers.Integral):
            out.append(int(item))
        elif isinstance(item, Tensor):
            if item._backend is not backend:
                raise RuntimeError(f"indices should be either on cpu or on the same device as the "
                                   f"indexed tensor ({x.device}), got {item.device}")
            kind = item._data.dtype.kind
            if kind not in "biu":
                raise IndexError(f"tensors used as indices must be long, int or bool tensors, "
                                 f"got {item.dtype}")
            if kind != "b" and item._data.ndim == 0:
                out.append(int(item._data.item()))   # a 0-d int tensor acts as an int
            else:
                out.append(item._data)
                advanced = True
        elif isinstance(item, (list, numpy.ndarray)):
            arr = numpy.asarray(item)
            if arr.size == 0 and arr.dtype.kind == "f":
                arr = arr.astype(numpy.int64)
            if arr.dtype.kind not in "biu":
                raise IndexError(f"index arrays must contain ints or bools, got dtype {arr.dtype}")
            out.append(arr if backend.name == "cpu" else backend.from_numpy(arr))
            advanced = True
        else:
            raise TypeError(f"invalid index of type {type(item).__name__}: only integers, "
                            "slices, None, ..., bool/integer tensors or arrays are valid indices")
    if not advanced:
        if Ellipsis not in out:
            out.append(Ellipsis)   # makes numpy return 0-d views instead of scalars
    else:
        _check_bounds(x, out)
    return tuple(out), advanced


def _check_bounds(x, index):
    """Raise IndexError for out-of-range integer-array indices and mismatched masks.

    NumPy would raise by itself, but CuPy's gather wraps around silently, so
    the check is done here for every device.
    """
    shape = x._data.shape
    consumed = 0
    for item in index:
        if item is not None and item is not Ellipsis:
            consumed += item.ndim if (hasattr(item, "dtype") and item.dtype.kind == "b") else 1
    dim = 0
    for item in index:
        if item is None:
            continue
        if item is Ellipsis:
            dim += len(shape) - consumed
            continue
        if isinstance(item, (int, slice)):
            dim += 1
            continue
        if item.dtype.kind == "b":
            if item.ndim == 0:
                continue
            expected = shape[dim:dim + item.ndim]
            if tuple(item.shape) != tuple(expected):
                raise IndexError(f"The shape of the mask {tuple(item.shape)} at index {dim} "
                                 f"does not match the shape of the indexed tensor "
                                 f"{tuple(shape)}")
            dim += item.ndim
            continue
        if dim >= len(shape):
            raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
        n = shape[dim]
        if item.size and bool(((item < -n) | (item >= n)).any()):
            bad = item[(item < -n) | (item >= n)].reshape(-1)[:1]
            raise IndexError(f"index {int(bad[0])} is out of bounds for dimension {dim} with "
                             f"size {n}")
        dim += 1


def _as_int(v, what):
    try:
        return int(v.__index__())
    except (AttributeError, TypeError):
        raise TypeError(f"{what} must be an integer, got {type(v).__name__}") from None


def _opt_int(v):
    return None if v is None else _as_int(v, "slice bound")


def _index_error(x, exc):
    return IndexError(f"index out of range for tensor of shape {tuple(x.shape)}: {exc}")


class BasicIndex(ArrayFunction):
    """``x[ints, slices, None, ...]`` (a view); gradient scattered into zeros."""

    backward_name = "SliceBackward0"
    __slots__ = ("index", "in_shape")
    is_view = True

    @staticmethod
    def forward(ctx, backend, x, index):
        ctx.index = index
        ctx.in_shape = x.shape
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        return IndexScatter.apply(grad, ctx.index, ctx.in_shape, False)


class SelectIndex(BasicIndex):
    """``x[i]``-style indexing whose last step takes one index (PyTorch names its node
    SelectBackward0)."""

    backward_name = "SelectBackward0"
    __slots__ = ()


class UnsqueezeIndex(BasicIndex):
    """``x[None]``-style indexing whose last step adds a dimension (UnsqueezeBackward0)."""

    backward_name = "UnsqueezeBackward0"
    __slots__ = ()


def _basic_index_node(idx):
    """The node class for a basic index: named, as in PyTorch, after its last step that
    does something (an int selects, None unsqueezes, a slice slices)."""
    node = BasicIndex
    for item in idx if isinstance(idx, tuple) else (idx,):
        if item is None:
            node = UnsqueezeIndex
        elif isinstance(item, slice):
            if item != _FULL_SLICE:
                node = BasicIndex
        elif item is not Ellipsis:
            node = SelectIndex
    return node


_FULL_SLICE = slice(None)


class AdvancedIndex(ArrayFunction):
    """``x[arrays / masks ...]`` (a copy); gradient accumulated at repeated indices."""

    backward_name = "IndexBackward0"
    __slots__ = ("index", "in_shape")

    @staticmethod
    def forward(ctx, backend, x, index):
        ctx.index = index
        ctx.in_shape = x.shape
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        return IndexScatter.apply(grad, ctx.index, ctx.in_shape, True)


class IndexScatter(ArrayFunction):
    """Zeros of ``shape`` with ``grad`` added at ``index`` (the adjoint of indexing)."""

    __slots__ = ("index", "advanced")

    @staticmethod
    def forward(ctx, backend, g, index, shape, advanced):
        ctx.index = index
        ctx.advanced = advanced
        out = backend.xp.zeros(shape, dtype=g.dtype)
        if advanced:
            index_add(backend, out, index, g)
        else:
            out[index] = g
        return out

    @staticmethod
    def backward(ctx, grad):
        if ctx.advanced:
            return AdvancedIndex.apply(grad, ctx.index)
        return BasicIndex.apply(grad, ctx.index)


class AsStrided(ArrayFunction):
    """The grad_fn a view gets when its base, or another view of the base, is changed in
    place (see ``Tensor._inplace``): the view's elements, at flat C-order ``positions``,
    of the base's current history.  The node is built directly, never applied; its
    gradient is ``grad`` added (accumulating, for expanded views) into zeros of the base."""

    backward_name = "AsStridedBackward0"
    __slots__ = ("positions", "base_shape")

    @staticmethod
    def forward(ctx, backend, x, positions, base_shape):
        ctx.positions = positions
        ctx.base_shape = base_shape
        return x.reshape(-1)[positions]

    @staticmethod
    def backward(ctx, grad):
        size = 1
        for n in ctx.base_shape:
            size *= n
        flat = IndexScatter.apply(grad, (ctx.positions,), (size,), True)
        return flat.reshape(ctx.base_shape)


class MultiViewModified(ArrayFunction):
    """The grad_fn an output of split/chunk/unbind gets when its base is changed in place:
    its backward raises, as PyTorch does for such views."""

    __slots__ = ("message",)

    @staticmethod
    def forward(ctx, backend, x):
        raise RuntimeError("MultiViewModified is a graph node only")

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(ctx.message)


def index_add(backend, out, index, values):
    """``out[index] += values`` accumulating repeated indices, on any backend."""
    kernel = getattr(backend, "index_add", None)
    if kernel is not None:
        return kernel(out, index, values)
    xp = backend.xp
    add_at = getattr(getattr(xp, "add", None), "at", None)
    if add_at is not None:
        add_at(out, index, values)
        return out
    import cupyx  # CuPy without ufunc.at
    cupyx.scatter_add(out, index, values)
    return out


def getitem(x, index):
    """``x[index]`` (see the module docstring for the accepted indices)."""
    idx, advanced = convert_index(x, index)
    try:
        if advanced:
            return AdvancedIndex.apply(x, idx)
        if x._requires_grad and _state.enabled:   # recorded: the node's name follows PyTorch
            return _basic_index_node(idx).apply(x, idx)
        return BasicIndex.apply(x, idx)
    except IndexError as exc:
        raise _index_error(x, exc) from None


class IndexPut(ArrayFunction):
    """Out of place ``x[index] = v``; gradients: ``grad`` with zeros at ``index`` for x,
    ``grad[index]`` (summed back to v's shape) for v."""

    backward_name = "IndexPutBackward0"
    __slots__ = ("index", "advanced", "v_shape")
    num_inputs = 2

    @staticmethod
    def forward(ctx, backend, x, v, index, advanced):
        ctx.index = index
        ctx.advanced = advanced
        ctx.v_shape = v.shape
        out = x.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        gx = gv = None
        if need[0]:
            mask = grad._backend.xp.ones(grad.shape, dtype=grad._data.dtype)
            mask[ctx.index] = 0
            gx = grad * _wrap(mask, grad._backend)
        if need[1]:
            cls = AdvancedIndex if ctx.advanced else BasicIndex
            gv = unbroadcast(cls.apply(grad, ctx.index), ctx.v_shape)
        return gx, gv


def _value_tensor(x, value):
    if isinstance(value, Tensor):
        if value._backend is not x._backend:
            raise RuntimeError(f"expected all tensors to be on the same device, but found at "
                               f"least two devices, {x.device} and {value.device}! (in setitem)")
        v = value
    elif scalar_kind(value) is not None:
        return _wrap(x._backend.xp.asarray(value, dtype=x._data.dtype), x._backend)
    elif isinstance(value, (list, tuple)):
        v = _wrap(x._backend.from_numpy(numpy.asarray(value)), x._backend)
    else:
        v = as_tensor_operand(value, x, "setitem")
    if v._data.dtype != x._data.dtype:
        v = to_dtype(v, x._data.dtype)
    return v


def index_put(x, index, value):
    """Out-of-place ``x[index] = value`` (differentiable in both)."""
    idx, advanced = convert_index(x, index)
    v = _value_tensor(x, value)
    try:
        return IndexPut.apply(x, v, idx, advanced)
    except IndexError as exc:
        raise _index_error(x, exc) from None
    except ValueError as exc:
        raise ShapeError(f"setitem: value of shape {tuple(v.shape)} cannot be assigned to the "
                         f"indexed region of a tensor of shape {tuple(x.shape)}: {exc}") from None


def setitem(x, index, value):
    """``x[index] = value`` in place (Tensor.__setitem__)."""
    x._check_inplace("setitem")
    flags = getattr(x._data, "flags", None)
    if flags is not None and not flags.writeable:
        raise RuntimeError("setitem: unsupported operation: the tensor is an expanded/broadcast "
                           "view (elements share memory); clone() it before writing")
    record = _state.enabled and (x._requires_grad or
                                 (isinstance(value, Tensor) and value._requires_grad))
    if record:
        x._inplace("setitem", lambda s, v: index_put(s, index, v), value)
        return
    idx, advanced = convert_index(x, index)
    v = _value_tensor(x, value)
    try:
        x._data[idx] = v._data
    except IndexError as exc:
        raise _index_error(x, exc) from None
    except ValueError as exc:
        raise ShapeError(f"setitem: value of shape {tuple(v.shape)} cannot be assigned to the "
                         f"indexed region of a tensor of shape {tuple(x.shape)}: {exc}") from None
    x._vc[0] += 1


def narrow(x, dim, start, length):
    """The slice ``start:start+length`` along ``dim`` (a view).

    Example::

        >>> ag.arange(6).narrow(0, 2, 3)
        tensor([2, 3, 4])
    """
    axis = _normalize_dim(dim, x._data.ndim, "narrow")
    n = x._data.shape[axis]
    if start < 0:
        start += n
    if start < 0 or length < 0 or start + length > n:
        raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension size "
                         f"({n})")
    idx = (slice(None),) * axis + (slice(start, start + length),) + (Ellipsis,)
    return BasicIndex.apply(x, idx)


def select(x, dim, index):
    """The slice at ``index`` along ``dim``, with that dim removed (a view)."""
    axis = _normalize_dim(dim, x._data.ndim, "select")
    n = x._data.shape[axis]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{tuple(x.shape)} at dimension {axis}")
    idx = (slice(None),) * axis + (int(index) % n,) + (Ellipsis,)
    return BasicIndex.apply(x, idx)


class Gather(ArrayFunction):
    """``out[i][j] = x[i][index[i][j]]`` along ``axis`` (PyTorch's gather); gradient
    scatter-added back."""

    backward_name = "GatherBackward0"
    __slots__ = ("axis", "index", "in_shape")

    @staticmethod
    def forward(ctx, backend, x, axis, index):
        ctx.axis = axis
        ctx.index = index
        ctx.in_shape = x.shape
        return backend.xp.take_along_axis(x, index, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        xp = grad._backend.xp
        shape = ctx.index.shape
        grids = []
        for d, n in enumerate(shape):   # open grids (numpy.indices(sparse=True), for any xp)
            grid_shape = [1] * len(shape)
            grid_shape[d] = n
            grids.append(xp.arange(n).reshape(grid_shape))
        grids[ctx.axis] = ctx.index
        return IndexScatter.apply(grad, tuple(grids), ctx.in_shape, True)


def gather(x, dim, index):
    """Gather values along ``dim`` at ``index`` (an int64 tensor of x's rank).

    Example::

        >>> ag.tensor([[1, 2], [3, 4]]).gather(1, ag.tensor([[0, 0], [1, 0]]))
        tensor([[1, 1],
                [4, 3]])
    """
    axis = _normalize_dim(dim, x._data.ndim, "gather")
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise TypeError("gather: index must be an integer Tensor")
    if index._data.ndim != x._data.ndim:
        raise RuntimeError(f"gather: index tensor must have the same number of dimensions as "
                           f"input ({index.ndim} vs {x.ndim})")
    try:
        return Gather.apply(x, axis, index._data)
    except IndexError as exc:
        raise _index_error(x, exc) from None
