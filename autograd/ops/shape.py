"""Shape operations: reshape/view, flatten, squeeze/unsqueeze, transpose/permute,
expand/broadcast_to, repeat, cat/stack, split/chunk, flip.

Ops that PyTorch implements as views (reshape when possible, view, squeeze,
unsqueeze, transpose, permute, expand, split, chunk) return tensors sharing
memory and the version counter with their input; the others (repeat, cat,
stack, flip) copy.

Example::

    >>> x = ag.arange(6.0).reshape(2, 3)
    >>> x.transpose(0, 1).shape
    (3, 2)
    >>> ag.cat([x, x], dim=0).shape
    (4, 3)
"""

import numbers

from ..function import ArrayFunction, renamed
from ..tensor import Tensor, _normalize_dim
from .reduction import broadcast_to as _broadcast_to, BroadcastTo, SumTo  # noqa: F401
from .elementwise import ShapeError, promote_tensors
from .reduction import Sum


def _check(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")


def _kw_shape(args, kw, kwname, name):
    """``args`` (varargs) or the keyword form ``kwname=kw`` -- not both (PyTorch's names)."""
    if args:
        raise TypeError(f"{name}() got multiple values for argument '{kwname}'")
    if isinstance(kw, (tuple, list)):
        return (kw,)
    return (kw,) if isinstance(kw, (numbers.Integral, Tensor)) else tuple(kw)


def _shape_args(shape, name):
    """Shapes as varargs or one tuple/list (PyTorch's convention)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    out = []
    for s in shape:
        if isinstance(s, Tensor):
            s = int(s.item())
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"{name}: sizes must be ints, got {type(s).__name__}")
        out.append(int(s))
    return tuple(out)


class Reshape(ArrayFunction):
    """Reshape (a view when the layout allows, as in PyTorch); gradient reshaped back."""

    backward_name = "ViewBackward0"
    __slots__ = ("in_shape",)
    is_view = True

    @staticmethod
    def forward(ctx, backend, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return Reshape.apply(grad, ctx.in_shape)


def _infer_shape(shape, numel, in_shape, name):
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError(f"{name}: only one dimension can be inferred (-1), got {shape}")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{name}: invalid shape dimension in {shape}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known != 0:
            raise ShapeError(f"{name}: shape {list(shape)} is invalid for input of size {numel} "
                             f"(shape {tuple(in_shape)})")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise ShapeError(f"{name}: shape {list(shape)} is invalid for input of size {numel} "
                         f"(shape {tuple(in_shape)})")
    return shape


def reshape(input, *args, shape=None):
    """``input`` with a new shape of the same number of elements (one -1 is inferred).

    The shape is varargs, one tuple/list, or ``shape=`` (PyTorch's keyword).

    Example::

        >>> ag.arange(6).reshape(2, -1).shape
        (2, 3)
        >>> ag.reshape(ag.arange(6), shape=(3, 2)).shape
        (3, 2)
    """
    _check(input, "reshape")
    if shape is not None:
        args = _kw_shape(args, shape, "shape", "reshape")
    args = _shape_args(args, "reshape")
    args = _infer_shape(args, input._data.size, input._data.shape, "reshape")
    return Reshape.apply(input, args)


def view(input, *shape, size=None, dtype=None):
    """``input`` with a new shape, always sharing its memory: raises RuntimeError (as
    PyTorch) when the strides do not allow that, e.g. ``x.t().view(-1)``; use
    :func:`reshape`, which copies when it must.

    ``view(dtype)`` reinterprets the bits in another dtype, as in PyTorch (the last
    dimension scales with the item sizes); it is not differentiable.

    Example::

        >>> ag.zeros(4).view(2, 2).shape
        (2, 2)
    """
    x = input
    _check(x, "view")
    if dtype is None and len(shape) == 1 and not isinstance(shape[0],
                                                            (tuple, list, numbers.Integral, Tensor)):
        dtype = shape[0]
        shape = ()
    if dtype is not None:
        if shape or size is not None:
            raise TypeError("view() takes either a shape or a dtype, not both")
        return _view_as_dtype(x, dtype)
    if size is not None:
        shape = _kw_shape(shape, size, "size", "view")
    shape = _shape_args(shape, "view")
    shape = _infer_shape(shape, x._data.size, x._data.shape, "view")
    data = x._data
    if not data.flags.c_contiguous and data.size and not _viewable(data, shape):
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return Reshape.apply(x, shape)


def _view_as_dtype(x, dtype):
    """The bits of ``x`` read as ``dtype`` (sharing memory and the version counter)."""
    from ..dtypes import as_dtype
    target = as_dtype(dtype)
    if target == x._data.dtype:
        return Reshape.apply(x, tuple(x._data.shape))
    if x._requires_grad:
        raise RuntimeError("view(dtype): reinterpreting the bits of a tensor that requires grad "
                           "is not differentiable; detach() it first")
    try:
        data = x._data.view(target)
    except ValueError as exc:
        raise RuntimeError(f"view(dtype): cannot view a tensor of shape {tuple(x.shape)} and "
                           f"dtype {x.dtype} as {target} ({exc})") from None
    out = Tensor._make(data, x._backend)
    out._vc = x._vc
    out._base = x if x._base is None else x._base
    return out


def _viewable(data, shape):
    """Whether an array with ``data``'s shape and strides can take ``shape`` without a copy
    (numpy's no-copy reshape decides, on a stand-in array when ``data`` is not numpy's)."""
    import numpy
    if not isinstance(data, numpy.ndarray):
        data = numpy.lib.stride_tricks.as_strided(numpy.zeros(1, dtype=data.dtype),
                                                  shape=data.shape, strides=data.strides)
    try:
        data.reshape(shape, copy=False)
    except ValueError:
        return False
    except TypeError:   # numpy < 2.1: no copy= argument
        probe = data.view()
        try:
            probe.shape = shape
        except AttributeError:
            return False
    return True


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one.

    Example::

        >>> ag.zeros(2, 3, 4).flatten(1).shape
        (2, 12)
    """
    x = input
    _check(x, "flatten")
    nd = x._data.ndim
    if nd == 0:   # dims in [-1, 0], as for a 1-element 1-d tensor (PyTorch)
        _normalize_dim(start_dim, 1, "flatten")
        _normalize_dim(end_dim, 1, "flatten")
        return reshape(x, 1)
    s = _normalize_dim(start_dim, nd, "flatten")
    e = _normalize_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x._data.shape
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(x, shape[:s] + (n,) + shape[e + 1:])


# PyTorch's node names for the ops that share Reshape / Permute / Cat here
_Squeeze = renamed(Reshape, "SqueezeBackward0")
_SqueezeDim = renamed(Reshape, "SqueezeBackward1")
_Unsqueeze = renamed(Reshape, "UnsqueezeBackward0")


def squeeze(input, dim=None):
    """Remove dims of size 1 (all of them, or ``dim`` -- an int or tuple -- if it has size 1).

    Example::

        >>> ag.zeros(1, 3, 1).squeeze().shape
        (3,)
    """
    x = input
    _check(x, "squeeze")
    shape = x._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = {_normalize_dim(d, len(shape), "squeeze") for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return (_Squeeze if dim is None else _SqueezeDim).apply(x, new)


def unsqueeze(input, dim):
    """Insert a dim of size 1 at ``dim`` (in ``[-ndim-1, ndim]``).

    Example::

        >>> ag.zeros(3).unsqueeze(0).shape
        (1, 3)
    """
    x = input
    _check(x, "unsqueeze")
    shape = x._data.shape
    d = _normalize_dim(dim, len(shape) + 1, "unsqueeze")
    return _Unsqueeze.apply(x, shape[:d] + (1,) + shape[d:])


class Permute(ArrayFunction):
    """Reorder dims (a view); gradient: the inverse permutation."""

    __slots__ = ("dims",)
    is_view = True

    @staticmethod
    def forward(ctx, backend, x, dims):
        ctx.dims = dims
        return backend.xp.transpose(x, dims)

    @staticmethod
    def backward(ctx, grad):
        dims = ctx.dims
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        return Permute.apply(grad, tuple(inverse))


def permute(input, *args, dims=None):
    """Reorder dimensions: ``out.shape[i] == input.shape[dims[i]]``.

    ``dims`` as varargs, one tuple/list, or ``dims=``.

    Example::

        >>> ag.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
        >>> ag.permute(ag.zeros(2, 3), dims=(1, 0)).shape
        (3, 2)
    """
    x = input
    _check(x, "permute")
    if dims is not None:
        args = _kw_shape(args, dims, "dims", "permute")
    dims = _shape_args(args, "permute")
    nd = x._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dims don't match in permute: "
                           f"got {len(dims)} dims for a tensor of {nd} dims"
                           .replace("(sparse_coo)", ""))
    norm = tuple(_normalize_dim(d, nd, "permute") for d in dims)
    if len(set(norm)) != nd:
        raise RuntimeError(f"permute: repeated dim in {dims}")
    return Permute.apply(x, norm)


_Transpose = renamed(Permute, "TransposeBackward0")


def transpose(input, dim0, dim1):
    """Swap two dimensions (a view).

    Example::

        >>> ag.zeros(2, 3).transpose(0, 1).shape
        (3, 2)
    """
    x = input
    _check(x, "transpose")
    nd = x._data.ndim
    if nd == 0:
        _normalize_dim(dim0, nd, "transpose")
        _normalize_dim(dim1, nd, "transpose")
        return Reshape.apply(x, ())
    a = _normalize_dim(dim0, nd, "transpose")
    b = _normalize_dim(dim1, nd, "transpose")
    dims = list(range(nd))
    dims[a], dims[b] = dims[b], dims[a]
    return _Transpose.apply(x, tuple(dims))


def swapaxes(input, axis0, axis1):
    """Alias of :func:`transpose` with NumPy's argument names."""
    return transpose(input, axis0, axis1)


def swapdims(input, dim0, dim1):
    """Alias of :func:`transpose`."""
    return transpose(input, dim0, dim1)


def t(input):
    """Transpose of a tensor with at most 2 dims."""
    x = input
    _check(x, "t")
    if x._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{x._data.ndim}D")
    if x._data.ndim < 2:
        return Reshape.apply(x, x._data.shape)
    return transpose(x, 0, 1)


def expand(input, *args, size=None):
    """Broadcast ``input`` to a larger shape (a view); -1 keeps a size; new dims go in front.

    The sizes are varargs, one tuple/list, or ``size=``.

    Example::

        >>> ag.zeros(3, 1).expand(3, 4).shape
        (3, 4)
        >>> ag.zeros(3, 1).expand(2, -1, 5).shape
        (2, 3, 5)
    """
    x = input
    _check(x, "expand")
    if size is not None:
        args = _kw_shape(args, size, "size", "expand")
    sizes = _shape_args(args, "expand")
    return _broadcast_to(x, _expand_target(x._data.shape, sizes, "expand"))


def _expand_target(shape, sizes, name):
    """The shape ``expand(*sizes)`` gives a tensor of ``shape`` (resolves -1, checks sizes)."""
    if len(sizes) < len(shape):
        raise RuntimeError(f"{name}: the number of sizes provided ({len(sizes)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"{name}: the expanded size of the tensor ({s}) isn't "
                                   f"allowed in a leading, non-existing dimension {i}")
            target.append(s)
        else:
            cur = shape[i - lead]
            if s == -1:
                target.append(cur)
            elif cur != 1 and s != cur:
                raise ShapeError(f"{name}: the expanded size of the tensor ({s}) must match the "
                                 f"existing size ({cur}) at non-singleton dimension {i}. Target "
                                 f"sizes: {list(sizes)}. Tensor sizes: {list(shape)}")
            else:
                target.append(s)
    return tuple(target)


def broadcast_to(input, size):
    """``input`` broadcast to ``size`` (a view, like :func:`expand`: -1 keeps a size).

    Example::

        >>> ag.broadcast_to(ag.tensor([1.0, 2.0]), (2, -1))
        tensor([[1., 2.],
                [1., 2.]])
    """
    _check(input, "broadcast_to")
    size = _shape_args((size,), "broadcast_to")
    return _broadcast_to(input, _expand_target(input._data.shape, size, "broadcast_to"))


def expand_as(input, other):
    """``input.expand(other.shape)``."""
    return expand(input, other.shape)


class Repeat(ArrayFunction):
    """Tile ``x`` (PyTorch's repeat); gradient: sum over the copies."""

    backward_name = "RepeatBackward0"
    __slots__ = ("in_shape", "reps")

    @staticmethod
    def forward(ctx, backend, x, reps):
        lead = len(reps) - x.ndim
        shape = (1,) * lead + x.shape
        ctx.in_shape = x.shape
        ctx.reps = reps
        return backend.xp.tile(x.reshape(shape), reps)

    @staticmethod
    def backward(ctx, grad):
        reps = ctx.reps
        lead = len(reps) - len(ctx.in_shape)
        shape = (1,) * lead + tuple(ctx.in_shape)
        split = []
        for r, s in zip(reps, shape):
            split += [r, s]
        g = Reshape.apply(grad, tuple(split))
        g = Sum.apply(g, tuple(range(0, 2 * len(reps), 2)), False, None)
        return Reshape.apply(g, tuple(ctx.in_shape))


def repeat(input, *args, repeats=None):
    """Repeat ``input`` along each dim ``sizes[i]`` times (``len(sizes) >= ndim``).

    The counts are varargs, one tuple/list, or ``repeats=`` (PyTorch's keyword).

    Example::

        >>> ag.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    x = input
    _check(x, "repeat")
    if repeats is not None:
        args = _kw_shape(args, repeats, "repeats", "repeat")
    sizes = _shape_args(args, "repeat")
    if len(sizes) < x._data.ndim:
        raise RuntimeError("repeat: Number of dimensions of repeat dims can not be smaller than "
                           f"number of dimensions of tensor ({len(sizes)} < {x._data.ndim})")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {list(sizes)}")
    return Repeat.apply(x, sizes)


class Cat(ArrayFunction):
    """Concatenate along ``axis``; gradient: the matching slice for each input."""

    __slots__ = ("axis", "sizes")
    num_inputs = None

    @staticmethod
    def forward(ctx, backend, arrays, axis):
        ctx.axis = axis
        ctx.sizes = [a.shape[axis] for a in arrays]
        return backend.xp.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        out = []
        start = 0
        for need, size in zip(ctx.needs_input_grad, ctx.sizes):
            out.append(narrow(grad, ctx.axis, start, size) if need else None)
            start += size
        return tuple(out)


class _EmptyListError(RuntimeError, ValueError):
    """``cat([])`` / ``stack([])``: torch raises ValueError for cat, RuntimeError for stack."""


def _tensor_list(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}: expected a sequence of Tensors, got a single Tensor")
    tensors = list(tensors)
    if not tensors:
        raise _EmptyListError(f"{name}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: expected Tensors, but element {i} is "
                            f"{type(t).__name__}")
    return promote_tensors(tensors, name)


def cat(tensors, dim=0, *, axis=None):
    """Concatenate tensors along an existing dim (shapes must match elsewhere).

    ``axis=`` is accepted as an alias of ``dim`` (as PyTorch does).

    Example::

        >>> ag.cat([ag.zeros(2, 3), ag.ones(1, 3)]).shape
        (3, 3)
    """
    if axis is not None:
        dim = axis
    tensors = _tensor_list(tensors, "cat")
    # PyTorch skips 1-d empty tensors in cat
    nonempty = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)]
    if not nonempty:
        return tensors[0].clone() if len(tensors) == 1 else tensors[0] * 1
    tensors = nonempty
    nd = tensors[0]._data.ndim
    if nd == 0:
        raise RuntimeError("cat: zero-dimensional tensor cannot be concatenated")
    axis = _normalize_dim(dim, nd, "cat")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        s = t._data.shape
        if len(s) != nd or any(a != b for j, (a, b) in enumerate(zip(s, ref)) if j != axis):
            raise ShapeError(f"cat: sizes of tensors must match except in dimension {axis}; "
                             f"tensor 0 has shape {tuple(ref)} and tensor {i} has shape "
                             f"{tuple(s)}")
    return Cat.apply(tensors, axis)


concat = cat


def concatenate(tensors, axis=0, *, dim=None):
    """Alias of :func:`cat` with NumPy's argument name ``axis`` (``dim=`` works too)."""
    return cat(tensors, axis if dim is None else dim)


_Stack = renamed(Cat, "StackBackward0")


def stack(tensors, dim=0):
    """Stack same-shaped tensors along a new dim.

    Example::

        >>> ag.stack([ag.zeros(3), ag.ones(3)], dim=1).shape
        (3, 2)
    """
    tensors = _tensor_list(tensors, "stack")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise ShapeError(f"stack expects each tensor to be equal size, but got "
                             f"{tuple(shape)} at entry 0 and {tuple(t._data.shape)} at entry {i}")
    d = _normalize_dim(dim, len(shape) + 1, "stack")
    return _Stack.apply([unsqueeze(t, d) for t in tensors], d)


def split(tensor, split_size_or_sections=None, dim=0, *, split_size=None):
    """Split into chunks of ``split_size`` (last may be smaller) or of the listed sizes.

    ``split_size=`` is the keyword of the method form (``x.split(split_size=2)``).

    Example::

        >>> [p.shape for p in ag.arange(5).split(2)]
        [(2,), (2,), (1,)]
        >>> [p.shape for p in ag.arange(5).split([1, 4])]
        [(1,), (4,)]
    """
    x = tensor
    _check(x, "split")
    if split_size is not None:
        if split_size_or_sections is not None:
            raise TypeError("split() got multiple values for argument 'split_size'")
        split_size_or_sections = split_size
    elif split_size_or_sections is None:
        raise TypeError("split() missing required argument 'split_size_or_sections'")
    if x._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    axis = _normalize_dim(dim, x._data.ndim, "split")
    n = x._data.shape[axis]
    sections = split_size_or_sections
    if not isinstance(sections, (list, tuple)):
        sections = (sections,)
    for s in sections:
        if isinstance(s, bool) or not isinstance(s, (numbers.Integral, Tensor)):
            raise TypeError(f"split(): split_size_or_sections must be an int or a list of ints, "
                            f"got {type(s).__name__}")
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {axis}), but got "
                               f"split_sizes={sizes}")
    else:
        size = int(split_size_or_sections)
        if size <= 0 and not (size == 0 and n == 0):
            raise RuntimeError(f"split: split_size must be positive, got {size}")
        if n == 0:
            sizes = [0]
        else:
            sizes = [size] * (n // size) + ([n % size] if n % size else [])
    out = []
    start = 0
    for s in sizes:
        out.append(narrow(x, axis, start, s))
        start += s
    # PyTorch: the outputs may not be changed in place inside the graph
    return Tensor._mark_multi_view(tuple(out), "SplitWithSizes" if isinstance(
        split_size_or_sections, (list, tuple)) else "Split")


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of ``ceil(n / chunks)`` (fewer if they run out), as PyTorch.

    Example::

        >>> [p.shape for p in ag.arange(5).chunk(3)]
        [(2,), (2,), (1,)]
    """
    x = input
    _check(x, "chunk")
    if x._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if int(chunks) <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    axis = _normalize_dim(dim, x._data.ndim, "chunk")
    n = x._data.shape[axis]
    size = -(-n // int(chunks)) if n else 0
    if size == 0:   # an empty dim: `chunks` empty pieces, as in PyTorch
        return split(x, [0] * int(chunks), axis)
    return split(x, size, axis)


def unbind(input, dim=0):
    """Remove ``dim``, returning the slices along it as a tuple."""
    x = input
    _check(x, "unbind")
    axis = _normalize_dim(dim, x._data.ndim, "unbind")
    return Tensor._mark_multi_view(tuple(select(x, axis, i) for i in range(x._data.shape[axis])),
                                   "Unbind")


class Flip(ArrayFunction):
    """Reverse the order along ``axes`` (a copy, as in PyTorch); gradient: flipped back."""

    __slots__ = ("axes",)

    @staticmethod
    def forward(ctx, backend, x, axes):
        ctx.axes = axes
        return backend.xp.flip(x, axis=axes).copy()

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, ctx.axes)


def flip(input, *args, dims=None):
    """Reverse the order of elements along ``dims`` (varargs, one tuple/list, or ``dims=``).

    Example::

        >>> ag.tensor([1, 2, 3]).flip(0)
        tensor([3, 2, 1])
        >>> ag.flip(ag.tensor([1, 2, 3]), dims=(0,))
        tensor([3, 2, 1])
    """
    x = input
    _check(x, "flip")
    if dims is not None:
        args = _kw_shape(args, dims, "dims", "flip")
    dims = _shape_args(args, "flip")
    nd = x._data.ndim
    axes = tuple(sorted({_normalize_dim(d, nd, "flip") for d in dims}))
    if nd == 0:
        return x.clone()
    return Flip.apply(x, axes)


def movedim(input, source, destination):
    """Move dim ``source`` to position ``destination``."""
    x = input
    _check(x, "movedim")
    nd = x._data.ndim
    s = _normalize_dim(source, nd, "movedim")
    d = _normalize_dim(destination, nd, "movedim")
    order = [i for i in range(nd) if i != s]
    order.insert(d, s)
    return Permute.apply(x, tuple(order))


from .indexing import narrow, select  # noqa: E402  (indexing imports this package's modules)
