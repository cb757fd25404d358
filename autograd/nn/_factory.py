"""Creating parameters and buffers on a device with a dtype (shared by the layers)."""

import numpy

from ..backend import get_backend, normalize_device
from ..dtypes import as_dtype, get_default_dtype
from ..tensor import Tensor
from .parameter import Parameter


def _resolve(device, dtype):
    backend = get_backend(normalize_device(device))
    dtype = get_default_dtype() if dtype is None else as_dtype(dtype)
    return backend, numpy.dtype(dtype)


def empty_parameter(shape, device=None, dtype=None):
    """An uninitialised Parameter of ``shape`` (the layer's ``reset_parameters`` fills it)."""
    backend, dtype = _resolve(device, dtype)
    return Parameter(Tensor._make(backend.xp.empty(shape, dtype=dtype), backend))


def new_tensor(host_array, device=None, dtype=None):
    """A buffer Tensor holding ``host_array`` (cast to ``dtype``) on ``device``."""
    backend, dtype = _resolve(device, dtype)
    return Tensor._make(backend.from_numpy(numpy.asarray(host_array, dtype=dtype)), backend)
