"""Data types: the library's dtypes are NumPy dtypes.

``ag.float32, ag.float64, ag.int32, ag.int64, ag.bool`` (plus ``float16``,
``int8``, ``int16``, ``uint8``) are ``numpy.dtype`` objects, so
``t.dtype == numpy.float32`` holds.  The default float dtype (used for Python
floats and for int tensors promoted by float ops) is ``float32`` until
:func:`set_default_dtype` changes it.

Type promotion follows PyTorch: operands are ranked as dimensioned tensors >
0-d tensors > Python numbers; the result takes the highest category (bool <
int < float) and, within that category, the dtype of the highest-ranked
operands that have it.  So ``float32 tensor * 2.5`` stays float32, ``int64
tensor * 2.5`` is the default float dtype, and ``float32 + float64`` tensors
give float64.

Example::

    >>> ag.get_default_dtype()
    dtype('float32')
    >>> ag.tensor([1, 2]).dtype
    dtype('int64')
"""

import builtins as _builtins

import numpy

_pyfloat = _builtins.float
_pyint = _builtins.int
_pybool = _builtins.bool

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool_ = numpy.dtype("bool")

half = float16
float = float32  # noqa: A001 - PyTorch's alias names
double = float64
long = int64
int = int32  # noqa: A001

SUPPORTED = frozenset([float16, float32, float64, int8, int16, int32, int64, uint8, bool_])
FLOATS = frozenset([float16, float32, float64])

_default = [float32]

# category: 0 bool, 1 integer, 2 float
_CATEGORY = {bool_: 0, int8: 1, int16: 1, int32: 1, int64: 1, uint8: 1,
             float16: 2, float32: 2, float64: 2}


def get_default_dtype():
    """The default float dtype (``float32`` unless changed)."""
    return _default[0]


def set_default_dtype(dtype):
    """Set the default float dtype: ``ag.float32`` or ``ag.float64``.

    Example::

        >>> ag.set_default_dtype(ag.float64); ag.tensor(1.5).dtype
        dtype('float64')
    """
    d = as_dtype(dtype)
    if d not in (float32, float64, float16):
        raise TypeError(f"set_default_dtype only supports floating point dtypes, got {d}")
    _default[0] = d


def as_dtype(dtype):
    """Normalize ``dtype`` (a numpy dtype, a Python type or a name) to a supported numpy dtype.

    Python ``float`` means float64, ``int`` int64 and ``bool`` bool, as in PyTorch.
    """
    if dtype.__class__ is numpy.dtype and dtype in SUPPORTED:
        return dtype
    if dtype is _pyfloat:
        return float64
    if dtype is _pyint:
        return int64
    if dtype is _pybool:
        return bool_
    try:
        d = numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"unsupported dtype {dtype!r}") from None
    if d not in SUPPORTED:
        raise TypeError(f"unsupported dtype {d}; supported: float16, float32, float64, "
                        "int8, int16, int32, int64, uint8, bool")
    return d


def is_floating(dtype):
    """True for float16/32/64."""
    return dtype in FLOATS


def dtype_name(dtype):
    """``'autograd.float32'``-style name used in reprs and error messages."""
    return f"autograd.{dtype.name}"


# --------------------------------------------------------------------------
# type promotion
# --------------------------------------------------------------------------
_promote_cache = {}


def _promote_two(a, b):
    if a == b:
        return a
    return numpy.promote_types(a, b)


def result_type(dtypes_dim, dtypes_zero, scalar_kinds):
    """PyTorch's result dtype.

    ``dtypes_dim``: dtypes of operands with ndim > 0; ``dtypes_zero``: of 0-d
    tensors; ``scalar_kinds``: categories (0 bool, 1 int, 2 float) of Python numbers.
    """
    key = (tuple(dtypes_dim), tuple(dtypes_zero), tuple(scalar_kinds), _default[0])
    hit = _promote_cache.get(key)
    if hit is not None:
        return hit
    cats = [_CATEGORY[d] for d in dtypes_dim]
    top_dim = max(cats) if cats else -1
    cats0 = [_CATEGORY[d] for d in dtypes_zero]
    top_zero = max(cats0) if cats0 else -1
    top_scalar = max(scalar_kinds) if scalar_kinds else -1
    if top_dim >= top_zero and top_dim >= top_scalar:
        res = None
        for d in dtypes_dim:
            if _CATEGORY[d] == top_dim:
                res = d if res is None else _promote_two(res, d)
        # A lower-ranked 0-d float can still widen a bool/int dim result only
        # through category (handled above), never within a category.
    elif top_zero >= top_scalar:
        res = None
        for d in dtypes_zero:
            if _CATEGORY[d] == top_zero:
                res = d if res is None else _promote_two(res, d)
    else:
        res = {0: bool_, 1: int64, 2: _default[0]}[top_scalar]
    _promote_cache[key] = res
    return res


def category(dtype):
    """0 for bool, 1 for integers, 2 for floats."""
    return _CATEGORY[dtype]


__all__ = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
           "bool_", "half", "double", "long", "get_default_dtype", "set_default_dtype",
           "as_dtype", "is_floating", "result_type"]
