"""Factories: tensor, zeros, ones, full, empty, arange, linspace, eye, rand, randn,
randint and the ``*_like`` variants.

All take ``dtype=``, ``requires_grad=`` and ``device=``; shapes go as varargs
or one tuple.  Data is made on the host with NumPy and moved with the
device backend's ``from_numpy``; random numbers come from the one global
generator of :mod:`autograd.random`, so a seed gives the same values on every
device.

Example::

    >>> ag.zeros(2, 3).shape
    (2, 3)
    >>> ag.full((2,), 7)
    tensor([7, 7])
    >>> ag.manual_seed(0); ag.rand(2).dtype
    dtype('float32')
"""

import functools
import math
import numbers

import numpy

from .. import dtypes as _dtypes
from .. import random as _random
from ..backend import get_backend, normalize_device
from ..tensor import Tensor, _wrap


def _backend_for(device):
    return get_backend(normalize_device(device))


def _finish(host_array, dtype, requires_grad, device):
    """Move a freshly made host array to ``device`` and wrap it."""
    backend = _backend_for(device)
    arr = host_array if backend.name == "cpu" else backend.from_numpy(host_array)
    t = _wrap(arr, backend, False)
    if requires_grad:
        t.requires_grad_(True)
    return t


class AllocationError(MemoryError, RuntimeError):
    """A tensor too large to allocate (PyTorch raises RuntimeError; NumPy MemoryError)."""


def _allocation_errors(factory):
    """Report a failed allocation as PyTorch does (a RuntimeError naming the size), also
    for sizes whose byte count overflows (NumPy's ValueError "array is too big")."""
    @functools.wraps(factory)
    def wrapper(*args, **kwargs):
        try:
            return factory(*args, **kwargs)
        except MemoryError as exc:
            raise AllocationError(f"{factory.__name__}: can't allocate memory: {exc}") from None
        except ValueError as exc:
            if "too big" not in str(exc) and "maximum supported dimension" not in str(exc):
                raise
            raise AllocationError(f"{factory.__name__}: Storage size calculation overflowed "
                                  f"({exc})") from None
    return wrapper


def _shape(size, name):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"{name}: size must be ints, got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"{name}: Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


def _float_dtype(dtype):
    return _dtypes.get_default_dtype() if dtype is None else _dtypes.as_dtype(dtype)


def _contains_python_float(data):
    """Whether nested Python data holds floats (so it gets the default float dtype)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, float) and not isinstance(item, numpy.floating):
            return True
    return False


def _tensor_list_to_host(data):
    """Replace Tensors inside nested lists by host arrays (detached)."""
    if isinstance(data, Tensor):
        return data._backend.to_numpy(data._data)
    if isinstance(data, (list, tuple)):
        return [_tensor_list_to_host(d) for d in data]
    return data


class _IntOverflowError(OverflowError, ValueError):
    """An int beyond int64 given to ``tensor`` (PyTorch raises ValueError)."""


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor holding a copy of ``data`` (a number, nested list, ndarray or Tensor).

    Python floats become ``float32`` (the default dtype), ints ``int64``,
    bools ``bool``; an ndarray keeps its dtype.  ``requires_grad`` needs a
    float dtype.

    Example::

        >>> ag.tensor([[1, 2], [3, 4]]).dtype
        dtype('int64')
        >>> ag.tensor([1.5, 2.0], requires_grad=True)
        tensor([1.5000, 2.0000], requires_grad=True)
    """
    if device is None and isinstance(data, Tensor):
        device = data.device
    if isinstance(data, Tensor):
        host = data._backend.to_numpy(data._data).copy()
    elif isinstance(data, numpy.ndarray):
        host = numpy.array(data, copy=True)
    elif isinstance(data, numpy.generic):
        host = numpy.array(data)
    elif isinstance(data, bool):
        host = numpy.array(data, dtype=numpy.bool_)
    elif isinstance(data, numbers.Integral):
        value = int(data)
        if not -2 ** 63 <= value < 2 ** 63:
            raise _IntOverflowError(f"Overflow when unpacking long long: tensor: {value} does "
                                    "not fit in int64")
        host = numpy.array(value, dtype=numpy.int64)
    elif isinstance(data, numbers.Real):
        host = numpy.array(float(data), dtype=_dtypes.get_default_dtype() if dtype is None
                           else numpy.float64)
    elif isinstance(data, (list, tuple)):
        data = _tensor_list_to_host(data)
        try:
            host = numpy.array(data)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"tensor: could not build a tensor from the nested sequence "
                             f"(ragged or mixed types?): {exc}") from None
        if dtype is not None:
            pass   # converted below, straight from the float64 parse
        elif host.dtype == numpy.float64 and _contains_python_float(data):
            host = host.astype(_dtypes.get_default_dtype())
        elif host.size == 0 and host.dtype == numpy.float64:
            host = host.astype(_dtypes.get_default_dtype())
    elif hasattr(data, "__array__") or hasattr(data, "__cuda_array_interface__"):
        backend = _backend_for(device)
        if backend.is_array(data):
            host = backend.to_numpy(data).copy()
        else:
            host = numpy.array(data, copy=True)
    else:
        from .elementwise import DTypeError
        raise DTypeError(f"tensor: could not infer a dtype for an object of type "
                         f"{type(data).__name__} (expected a number, a nested list, an ndarray "
                         "or a Tensor)")
    if host.dtype.kind in "UOSV":
        from .elementwise import DTypeError
        if host.dtype.kind == "O":
            kinds = {type(v).__name__ for v in host.reshape(-1)}
            if kinds <= {"int"}:   # ints beyond int64
                raise _IntOverflowError("Overflow when unpacking long long: tensor: an int does "
                                        "not fit in int64")
            odd = sorted(k for k in kinds if k not in ("int", "float", "bool"))
            if odd:
                raise DTypeError(f"Could not infer dtype of {odd[0]}")
        raise DTypeError(f"tensor: unsupported data of dtype {host.dtype} (expected numbers)")
    if host.dtype.kind == "c":
        raise TypeError("tensor: complex numbers are not supported")
    if dtype is not None:
        host = host.astype(_dtypes.as_dtype(dtype), copy=False)
    elif host.dtype not in _dtypes.SUPPORTED:
        if host.dtype.kind == "u":
            if host.size and int(host.max()) >= 2 ** 63:
                raise _IntOverflowError("Overflow when unpacking long long: tensor: an int does "
                                        "not fit in int64")
            host = host.astype(numpy.int64)
        elif host.dtype.kind == "i":
            host = host.astype(numpy.int64)
        else:
            raise TypeError(f"tensor: unsupported dtype {host.dtype}")
    if not host.flags.c_contiguous:
        host = host.copy()   # (numpy.ascontiguousarray would turn 0-d into 1-d)
    return _finish(host, host.dtype, requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """Like :func:`tensor`, but returns ``data`` itself if it already is a matching Tensor."""
    if isinstance(data, Tensor):
        out = data
        if dtype is not None:
            out = out.to(_dtypes.as_dtype(dtype))
        if device is not None:
            out = out.to(device)
        return out
    if isinstance(data, numpy.ndarray) and normalize_device(device) == "cpu" and \
            (dtype is None or _dtypes.as_dtype(dtype) == data.dtype) and \
            data.dtype in _dtypes.SUPPORTED:
        return _wrap(data, get_backend("cpu"))
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A cpu tensor sharing memory with the ndarray ``array``."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy expects an ndarray, got {type(array).__name__}")
    if array.dtype not in _dtypes.SUPPORTED:
        raise TypeError(f"from_numpy: unsupported dtype {array.dtype}")
    return _wrap(array, get_backend("cpu"))


def _size_args(args, size, name):
    """The shape from varargs or PyTorch's ``size=`` keyword (not both)."""
    if size is None:
        return _shape(args, name)
    if args:
        raise TypeError(f"{name}() got multiple values for argument 'size'")
    return _shape((size,), name)


@_allocation_errors
def zeros(*args, size=None, dtype=None, requires_grad=False, device=None):
    """A tensor of zeros of the given shape (varargs, one tuple, or ``size=``).

    Example::

        >>> ag.zeros(2, 2)
        tensor([[0., 0.],
                [0., 0.]])
    """
    dt = _float_dtype(dtype)
    return _finish(numpy.zeros(_size_args(args, size, "zeros"), dtype=dt), dt, requires_grad,
                   device)


@_allocation_errors
def ones(*args, size=None, dtype=None, requires_grad=False, device=None):
    """A tensor of ones of the given shape (varargs, one tuple, or ``size=``).

    Example::

        >>> ag.ones(3)
        tensor([1., 1., 1.])
    """
    dt = _float_dtype(dtype)
    return _finish(numpy.ones(_size_args(args, size, "ones"), dtype=dt), dt, requires_grad,
                   device)


@_allocation_errors
def empty(*args, size=None, dtype=None, requires_grad=False, device=None):
    """An uninitialized tensor (here: zeros, so results are reproducible)."""
    dt = _float_dtype(dtype)
    return _finish(numpy.zeros(_size_args(args, size, "empty"), dtype=dt), dt, requires_grad,
                   device)


def _fill_dtype(fill_value, dtype):
    if dtype is not None:
        return _dtypes.as_dtype(dtype)
    if isinstance(fill_value, Tensor):
        return fill_value.dtype
    if isinstance(fill_value, (bool, numpy.bool_)):
        return _dtypes.bool_
    if isinstance(fill_value, numbers.Integral):
        return _dtypes.int64
    if isinstance(fill_value, numbers.Real):
        return _dtypes.get_default_dtype()
    raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}")


@_allocation_errors
def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    """A tensor of ``size`` filled with ``fill_value`` (an int fill gives int64, as PyTorch).

    Example::

        >>> ag.full((2,), 1.5)
        tensor([1.5000, 1.5000])
    """
    size = _shape((size,) if not isinstance(size, (tuple, list)) else (tuple(size),), "full")
    from .elementwise import scalar_kind   # (elementwise imports this module's users)
    if not isinstance(fill_value, Tensor) and scalar_kind(fill_value) is None:
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}")
    dt = _fill_dtype(fill_value, dtype)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(numpy.full(size, fill_value, dtype=dt), dt, requires_grad, device)


@_allocation_errors
def arange(start=None, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Values ``start, start+step, ...`` below ``end`` (``arange(n)`` and ``arange(end=n)``
    are ``0..n-1``).

    Ints give int64; any float argument gives the default float dtype.

    Example::

        >>> ag.arange(5)
        tensor([0, 1, 2, 3, 4])
        >>> ag.arange(0, 1, 0.25)
        tensor([0.0000, 0.2500, 0.5000, 0.7500])
    """
    if end is None:
        if start is None:
            raise TypeError("arange() missing required argument 'end'")
        start, end = 0, start
    elif start is None:
        start = 0
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"arange: arguments must be numbers, got {type(v).__name__}")
    start, end, step = vals
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in vals)
        dt = _dtypes.int64 if is_int else _dtypes.get_default_dtype()
    else:
        dt = _dtypes.as_dtype(dtype)
    n = int(math.ceil((end - start) / step))
    host = (start + numpy.arange(max(n, 0), dtype=numpy.float64 if dt.kind == "f" else
                                 numpy.int64) * step).astype(dt) \
        if dt.kind == "f" or not all(isinstance(v, numbers.Integral) for v in vals) \
        else numpy.arange(start, end, step, dtype=dt)
    return _finish(host, dt, requires_grad, device)


@_allocation_errors
def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Example::

        >>> ag.linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise TypeError(f"linspace: number of steps must be an int, got {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    dt = _float_dtype(dtype)
    host = numpy.linspace(float(start), float(end), int(steps)).astype(dt)
    return _finish(host, dt, requires_grad, device)


@_allocation_errors
def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    """The ``n x m`` identity matrix (``m`` defaults to ``n``).

    Example::

        >>> ag.eye(2)
        tensor([[1., 0.],
                [0., 1.]])
    """
    if m is None:
        m = n
    for v in (n, m):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"eye: n and m must be ints, got {type(v).__name__}")
        if v < 0:
            raise RuntimeError(f"eye: n and m must be non-negative, got {v}")
    dt = _float_dtype(dtype)
    return _finish(numpy.eye(int(n), int(m), dtype=dt), dt, requires_grad, device)


def _random_float(draw, shape, dtype):
    dt = _float_dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"random floats need a float dtype, got {dt}")
    gen_dtype = dt if dt in (_dtypes.float32, _dtypes.float64) else _dtypes.float32
    return draw(shape, gen_dtype).astype(dt, copy=False), dt


@_allocation_errors
def rand(*args, size=None, dtype=None, requires_grad=False, device=None):
    """Uniform random numbers in ``[0, 1)`` from the global generator (shape as varargs,
    one tuple, or ``size=``).

    Example::

        >>> ag.manual_seed(0); ag.rand(2, 3).shape
        (2, 3)
    """
    gen = _random.generator()
    host, dt = _random_float(lambda s, d: gen.random(s, dtype=d),
                             _size_args(args, size, "rand"), dtype)
    return _finish(host, dt, requires_grad, device)


@_allocation_errors
def randn(*args, size=None, dtype=None, requires_grad=False, device=None):
    """Standard normal random numbers from the global generator (shape as varargs, one
    tuple, or ``size=``).

    Example::

        >>> ag.manual_seed(0); ag.randn(3).shape
        (3,)
    """
    gen = _random.generator()
    host, dt = _random_float(lambda s, d: gen.standard_normal(s, dtype=d),
                             _size_args(args, size, "randn"), dtype)
    return _finish(host, dt, requires_grad, device)


@_allocation_errors
def randint(low=None, high=None, size=None, dtype=None, requires_grad=False, device=None):
    """Random ints in ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``
    (also as keywords; ``low`` defaults to 0).

    Example::

        >>> ag.manual_seed(0); ag.randint(0, 10, (3,)).dtype
        dtype('int64')
    """
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size' (a tuple)")
    if high is None:
        if low is None:
            raise TypeError("randint() missing required argument 'high'")
        low, high = 0, low
    elif low is None:
        low = 0
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    shape = _shape((tuple(size),) if isinstance(size, (tuple, list)) else (size,), "randint")
    dt = _dtypes.int64 if dtype is None else _dtypes.as_dtype(dtype)
    host = _random.generator().integers(int(low), int(high), size=shape, dtype=numpy.int64)
    return _finish(host.astype(dt, copy=False), dt, requires_grad, device)


@_allocation_errors
def randperm(n, dtype=None, requires_grad=False, device=None):
    """A random permutation of ``0..n-1`` (int64)."""
    dt = _dtypes.int64 if dtype is None else _dtypes.as_dtype(dtype)
    host = _random.generator().permutation(int(n)).astype(dt)
    return _finish(host, dt, requires_grad, device)


def _like(x, dtype, device):
    if not isinstance(x, Tensor):
        raise TypeError(f"expected a Tensor, got {type(x).__name__}")
    return (x.dtype if dtype is None else _dtypes.as_dtype(dtype),
            x.device if device is None else device)


def zeros_like(x, dtype=None, requires_grad=False, device=None):
    """Zeros with ``x``'s shape, dtype and device."""
    dt, dev = _like(x, dtype, device)
    return zeros(x.shape, dtype=dt, requires_grad=requires_grad, device=dev)


def ones_like(x, dtype=None, requires_grad=False, device=None):
    """Ones with ``x``'s shape, dtype and device."""
    dt, dev = _like(x, dtype, device)
    return ones(x.shape, dtype=dt, requires_grad=requires_grad, device=dev)


def empty_like(x, dtype=None, requires_grad=False, device=None):
    """An uninitialized (zero) tensor like ``x``."""
    dt, dev = _like(x, dtype, device)
    return empty(x.shape, dtype=dt, requires_grad=requires_grad, device=dev)


def full_like(x, fill_value, dtype=None, requires_grad=False, device=None):
    """``fill_value`` everywhere, with ``x``'s shape, dtype and device."""
    dt, dev = _like(x, dtype, device)
    return full(x.shape, fill_value, dtype=dt, requires_grad=requires_grad, device=dev)


def rand_like(x, dtype=None, requires_grad=False, device=None):
    """Uniform ``[0, 1)`` numbers with ``x``'s shape, dtype and device."""
    dt, dev = _like(x, dtype, device)
    return rand(x.shape, dtype=dt, requires_grad=requires_grad, device=dev)


def randn_like(x, dtype=None, requires_grad=False, device=None):
    """Standard normal numbers with ``x``'s shape, dtype and device."""
    dt, dev = _like(x, dtype, device)
    return randn(x.shape, dtype=dt, requires_grad=requires_grad, device=dev)


def randint_like(x, low, high=None, dtype=None, requires_grad=False, device=None):
    """Random ints with ``x``'s shape."""
    dt, dev = _like(x, dtype, device)
    return randint(low, high, x.shape, dtype=dt, requires_grad=requires_grad, device=dev)
