"""A test-only device, "strict": NumPy underneath, CuPy's manners on top.

CuPy arrays live on the GPU, so CuPy refuses to mix them with host
(NumPy) arrays: ``cupy_x + numpy_y`` and ``cupy.exp(numpy_y)`` raise
``TypeError``, and ``numpy.asarray(cupy_x)`` raises "Implicit conversion to a
NumPy array is not allowed".  Code that works on the cpu device can
therefore still break on cuda because of one stray ``numpy`` call.  This
module lets a machine without a GPU catch those calls: ``"strict"`` tensors
hold :class:`StrictArray` objects, which behave like CuPy arrays in exactly
those respects.

* :class:`StrictArray` wraps a ``numpy.ndarray`` (it is *not* an ndarray
  subclass: ``numpy.asarray`` converts a subclass silently, without asking,
  and ``isinstance(x, numpy.ndarray)`` would be true, neither of which holds
  for CuPy arrays).  Operators, methods, indexing, NumPy ufuncs
  (``__array_ufunc__``) and NumPy functions (``__array_function__``) work on
  it and return StrictArrays; a plain ``numpy.ndarray`` operand anywhere
  raises ``TypeError``.  Python and NumPy scalars are allowed, as in CuPy.
  Reductions return 0-d arrays, not NumPy scalars, as CuPy's do, and
  out-of-range entries of integer index arrays wrap around instead of
  raising, as in CuPy's indexing kernels.
* :data:`strict_numpy` is the device's array module (``xp``): NumPy's
  namespace whose functions return StrictArrays and refuse host arrays,
  except the explicit converters ``asarray``/``array`` (like
  ``cupy.asarray``, which copies a host array onto the device).
* :class:`StrictBackend` is the backend: the generic kernels of
  :class:`~autograd.backend.base.Backend` over ``strict_numpy``; only
  :meth:`StrictBackend.to_numpy` (and ``StrictArray.get()``, like CuPy's)
  hands out a host array.
* :data:`sync_counter` counts the reads of device data from the host
  (``bool``/``float``/``int``/``item``/``to_numpy``...): each would make the
  host wait for a GPU, so tests can bound them per training step.

The device is not registered by default; tests register it with::

    from autograd.backend import register_backend
    from autograd.backend.strict import StrictBackend
    register_backend("strict", StrictBackend)

Example::

    >>> from autograd.backend.strict import StrictBackend
    >>> b = StrictBackend()
    >>> x = b.from_numpy(numpy.arange(3.0))
    >>> b.to_numpy(b.xp.exp(x) + 1)          # fine: device op, explicit copy out
    array([2.        , 3.71828183, 8.3890561 ])
    >>> x + numpy.ones(3)                    # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    TypeError: strict device: cannot mix a 'strict' device array with a host numpy.ndarray ...
"""

import types

import numpy
from numpy.lib.mixins import NDArrayOperatorsMixin

from .base import Backend

__all__ = ["StrictArray", "StrictNamespace", "strict_numpy", "StrictBackend", "sync_counter"]


class _SyncCounter:
    """Counts device-to-host reads (``bool(x)``, ``float(x)``, ``x.item()``, ``to_numpy``...).

    On a GPU each one waits for the queued work to finish, so the count of a
    training step is a proxy for how well it would keep a GPU busy.
    """

    def __init__(self):
        self.count = 0

    def reset(self):
        self.count = 0


#: the process-wide counter of the strict device's host reads
sync_counter = _SyncCounter()

_MIX_HINT = ("move host data to the device first (backend.from_numpy / Tensor.to(device)), "
             "as CuPy requires")


def _foreign_error(where):
    return TypeError(
        f"strict device: cannot mix a 'strict' device array with a host numpy.ndarray "
        f"in {where}; {_MIX_HINT}"
    )


def _unwrap(obj, where):
    """The NumPy array inside ``obj``; host arrays are refused, containers are walked."""
    if type(obj) is StrictArray:
        return obj._array
    if isinstance(obj, numpy.ndarray):
        raise _foreign_error(where)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unwrap(item, where) for item in obj)
    return obj


def _unwrap_index(key, shape):
    """Unwrap an index the way CuPy reads it.

    Host index arrays and lists are allowed (CuPy copies them over).  Integer
    index arrays *wrap around* instead of raising on an out-of-range entry,
    because that is what CuPy's gather/scatter kernels do (they compute
    ``index % size``): code that relies on NumPy's IndexError to validate
    indices would silently misbehave on cuda, and does here too.
    """
    items = list(key) if isinstance(key, tuple) else [key]
    for i, item in enumerate(items):
        if type(item) is StrictArray:
            items[i] = item._array
        elif isinstance(item, list):
            array = numpy.asarray(item)
            if array.dtype.kind in "iub" or (array.size == 0 and array.ndim == 1):
                items[i] = array.astype(numpy.intp) if array.size == 0 else array

    def dims_used(item):
        if item is None or item is Ellipsis:
            return 0
        if isinstance(item, numpy.ndarray) and item.dtype == numpy.bool_:
            return item.ndim   # a mask spans its own ndim (a 0-d mask adds an axis)
        return 1
    explicit = sum(dims_used(item) for item in items)
    dim = 0
    for i, item in enumerate(items):
        if item is Ellipsis:
            dim += max(len(shape) - explicit, 0)
            continue
        if (isinstance(item, numpy.ndarray) and item.dtype.kind in "iu" and item.ndim > 0
                and dim < len(shape) and shape[dim] > 0):
            items[i] = numpy.mod(item, shape[dim])
        dim += dims_used(item)
    return tuple(items) if isinstance(key, tuple) else items[0]


def _wrap(obj):
    """Wrap NumPy results as StrictArrays (NumPy scalars become 0-d arrays, like CuPy's)."""
    if isinstance(obj, numpy.ndarray):
        return StrictArray(obj)
    if isinstance(obj, numpy.generic):
        return StrictArray(numpy.asarray(obj))
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_wrap(item) for item in obj)
    return obj


def _unwrap_kwargs(kwargs, where):
    return {key: _unwrap(value, where) for key, value in kwargs.items()}


def _call(fn, args, kwargs, where):
    """Call a NumPy function on unwrapped arguments and wrap what it returns.

    When an ``out=`` array is given, that very object is returned (as NumPy
    and CuPy do), so ``xp.maximum(x, 0, out=x) is x``.
    """
    result = fn(*_unwrap(args, where), **_unwrap_kwargs(kwargs, where))
    out = kwargs.get("out")
    if out is not None:
        if type(out) is StrictArray:
            return out
        if isinstance(out, tuple) and all(type(o) is StrictArray for o in out):
            return out if len(out) > 1 else out[0]
    return _wrap(result)


class StrictArray(NDArrayOperatorsMixin):
    """An array of the test-only "strict" device (see the module docstring).

    Holds a ``numpy.ndarray`` in ``_array``; every public ndarray attribute
    and method is available and returns StrictArrays.  Refuses host
    ``numpy.ndarray`` operands with ``TypeError`` and refuses implicit
    conversion by ``numpy.asarray``.
    """

    __slots__ = ("_array",)

    def __init__(self, array):
        if not isinstance(array, numpy.ndarray):
            raise TypeError(f"StrictArray wraps a numpy.ndarray, got {type(array).__name__}")
        object.__setattr__(self, "_array", array)

    # -- the CuPy-like refusals ------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed for a 'strict' device array "
            "(CuPy refuses it too); copy it to the host explicitly with backend.to_numpy(array) "
            "or Tensor.numpy() / Tensor.cpu()"
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        where = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        for operand in inputs + tuple(kwargs.get("out", ()) or ()):
            handler = getattr(type(operand), "__array_ufunc__", None)
            if (handler is not None and type(operand) is not StrictArray
                    and not isinstance(operand, numpy.ndarray)):
                return NotImplemented  # another duck array (or a Tensor) decides
        return _call(getattr(ufunc, method), inputs, kwargs, where)

    def __array_function__(self, func, types_, args, kwargs):
        for t in types_:
            if t is not StrictArray and not issubclass(t, numpy.ndarray):
                return NotImplemented
        return _call(func, args, kwargs, f"numpy.{func.__name__}")

    # -- attributes and methods of the wrapped ndarray ----------------------
    def __getattr__(self, name):
        # Dunders (__array_interface__, __array_struct__, __dlpack__, ...) are
        # not forwarded: NumPy would use them to convert us behind our back.
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self._array, name)
        if callable(value):
            def method(*args, **kwargs):
                return _call(value, args, kwargs, f"ndarray.{name}")
            method.__name__ = name
            return method
        return _wrap(value)

    def __setattr__(self, name, value):
        if name == "_array":
            raise AttributeError("StrictArray._array is read-only")
        setattr(self._array, name, _unwrap(value, f"setting ndarray.{name}"))

    def __getitem__(self, key):
        return _wrap(self._array[_unwrap_index(key, self._array.shape)])

    def __setitem__(self, key, value):
        if isinstance(value, numpy.ndarray) and value.ndim == 0:
            value = value[()]  # CuPy fills with a 0-d host array as with a scalar
        self._array[_unwrap_index(key, self._array.shape)] = _unwrap(value, "item assignment")

    def get(self):
        """A host ``numpy.ndarray`` copy, like ``cupy.ndarray.get()`` (explicit, allowed)."""
        sync_counter.count += 1
        return self._array.copy()

    def __len__(self):
        return len(self._array)

    def __iter__(self):
        for i in range(len(self._array)):
            yield self[i]

    def __bool__(self):
        sync_counter.count += 1
        return bool(self._array)

    def __float__(self):
        sync_counter.count += 1
        return float(self._array)

    def __int__(self):
        sync_counter.count += 1
        return int(self._array)

    def __index__(self):
        sync_counter.count += 1
        return self._array.__index__()

    def __complex__(self):
        sync_counter.count += 1
        return complex(self._array)

    def item(self, *args):
        sync_counter.count += 1
        return self._array.item(*args)

    def tolist(self):
        sync_counter.count += 1
        return self._array.tolist()

    def __copy__(self):
        return StrictArray(self._array.copy())

    def __deepcopy__(self, memo):
        return StrictArray(self._array.copy())

    def __repr__(self):
        return "strict_" + repr(self._array)

    def __str__(self):
        return str(self._array)

    def __format__(self, spec):
        return format(self._array, spec)

    __hash__ = None


class StrictNamespace:
    """NumPy's namespace for :class:`StrictArray`: the "strict" device's ``xp``.

    ``strict_numpy.exp(x)`` is ``numpy.exp`` on the wrapped arrays, with the
    result wrapped again; host ``numpy.ndarray`` arguments raise
    ``TypeError``.  Types (``float32``, ``dtype``, ``finfo``, ...) and
    constants are NumPy's own, as in CuPy; ``ndarray`` is :class:`StrictArray`.
    """

    #: converters that accept host data (lists, scalars, numpy arrays), like cupy.asarray
    _HOST_CONVERTERS = ("asarray", "array", "asanyarray")
    #: NumPy names CuPy does not have (code using ``xp.<name>`` would fail on cuda)
    _NOT_IN_CUPY = frozenset({
        "errstate", "seterr", "geterr", "seterrcall", "geterrcall", "nditer", "frompyfunc",
        "longdouble", "float128", "clongdouble", "complex256", "matrix", "recarray", "rec",
        "ma", "char", "strings", "memmap",
    })

    def __init__(self, module):
        self._module = module
        self.__name__ = "strict_" + module.__name__

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._NOT_IN_CUPY and self._module is numpy:
            raise AttributeError(
                f"strict device: xp.{name} does not exist in CuPy, so code using it would fail "
                f"on device='cuda'; use a device-independent alternative"
            )
        value = getattr(self._module, name)
        if name == "ndarray":
            wrapped = StrictArray
        elif name in self._HOST_CONVERTERS:
            wrapped = _make_converter(value)
        elif isinstance(value, types.ModuleType):
            wrapped = StrictNamespace(value)
        elif isinstance(value, numpy.ufunc):
            wrapped = _StrictUfunc(value)
        elif isinstance(value, type) or not callable(value):
            wrapped = value
        else:
            wrapped = _make_function(value, f"{self.__name__}.{name}")
        setattr(self, name, wrapped)  # cache
        return wrapped

    def asnumpy(self, array):
        """A host copy of a StrictArray (``cupy.asnumpy``'s counterpart)."""
        if type(array) is StrictArray:
            return array._array.copy()
        return numpy.array(array)

    def __repr__(self):
        return f"<strict array namespace over {self._module.__name__}>"


def _make_function(fn, where):
    def strict_function(*args, **kwargs):
        return _call(fn, args, kwargs, where)
    strict_function.__name__ = getattr(fn, "__name__", "function")
    strict_function.__doc__ = getattr(fn, "__doc__", None)
    return strict_function


def _unwrap_host(obj):
    """Like _unwrap, but host arrays are welcome (explicit conversion)."""
    if type(obj) is StrictArray:
        return obj._array
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unwrap_host(item) for item in obj)
    return obj


def _make_converter(fn):
    def convert(data, *args, **kwargs):
        if type(data) is StrictArray:
            result = fn(data._array, *args, **kwargs)
            return data if result is data._array else StrictArray(result)
        result = fn(_unwrap_host(data), *args, **kwargs)
        if isinstance(data, numpy.ndarray) and numpy.shares_memory(result, data):
            result = result.copy()  # host -> device is always a copy, as in CuPy
        return StrictArray(numpy.asarray(result))
    convert.__name__ = fn.__name__
    return convert


class _StrictUfunc:
    """A NumPy ufunc whose calls and methods (reduce, at, ...) take StrictArrays."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _call(self._ufunc, args, kwargs, f"strict_numpy.{self.__name__}")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self._ufunc, name)
        if callable(value):
            return _make_function(value, f"strict_numpy.{self.__name__}.{name}")
        return value


#: the "strict" device's array module
strict_numpy = StrictNamespace(numpy)


class StrictBackend(Backend):
    """Backend of the test-only "strict" device: generic kernels over :data:`strict_numpy`.

    Exercises every device-generic code path (ops, engine, nn, optim,
    serialization) on a device that is not the cpu one, failing loudly on any
    implicit host/device mixing, the way CuPy would on a GPU.
    """

    name = "strict"
    xp = strict_numpy

    def from_numpy(self, array):
        """Copy host data onto the strict device (a StrictArray is returned as is)."""
        if type(array) is StrictArray:
            return array
        return StrictArray(numpy.array(array, copy=True))

    def to_numpy(self, array):
        """Copy a StrictArray to a new host ``numpy.ndarray``.

        A plain ndarray here means host data leaked into a strict tensor,
        which would be a bug on cuda too, so it raises ``TypeError``.
        """
        if type(array) is StrictArray:
            sync_counter.count += 1
            return array._array.copy()
        raise TypeError(
            f"strict device: to_numpy expected a 'strict' device array, got "
            f"{type(array).__module__}.{type(array).__name__}; a host array leaked into a "
            f"device tensor"
        )

    def is_array(self, obj):
        return type(obj) is StrictArray
