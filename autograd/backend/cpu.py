"""The cpu backend: NumPy arrays, hot kernels from the compiled core (autograd._C).

(Placeholder while the compiled kernels are being written: everything uses
the generic NumPy expressions of :class:`~autograd.backend.base.Backend`.)
"""

import numpy

from .base import Backend


class CPUBackend(Backend):
    name = "cpu"
    xp = numpy
