# cython: language_level=3, boundscheck=False, wraparound=False
"""Reduction kernels: the full sum of a contiguous float array.

``sum_contiguous`` is NumPy's pairwise summation over the array's memory, in
NumPy's order of additions (ag_common.h), so its result equals ``x.sum()``
bit for bit.  It is cheaper than ``numpy.add.reduce`` at both ends: a few
hundred instructions of call overhead instead of NumPy's ~9,000 for its
reduction machinery (a 1-element sum), and a loop that vectorizes (a
(64, 128) float32 sum: ~3,000 instructions instead of ~28,000).  Serial.
"""

cimport numpy as cnp
from ag_common cimport ag_sum_f32, ag_sum_f64
from ag_numpy cimport contiguous_float_type

cnp.import_array()

# Below this many elements the GIL is kept: releasing and taking it back
# costs more than the sum.
cdef enum:
    NOGIL_MIN_ELEMENTS = 32768


def sum_contiguous(x):
    """``x.sum()`` as a 0-d array of ``x``'s dtype, for a C- or F-contiguous float32
    or float64 ndarray; None for anything else (the caller then asks NumPy).

    Example::

        >>> sum_contiguous(numpy.ones((2, 3), numpy.float32))
        array(6., dtype=float32)
    """
    cdef cnp.ndarray a, out
    cdef int typenum
    cdef Py_ssize_t n
    cdef const void *data
    cdef void *res
    typenum = contiguous_float_type(x)
    if typenum == 0:
        return None
    a = <cnp.ndarray>x
    n = cnp.PyArray_SIZE(a)
    data = cnp.PyArray_DATA(a)
    out = cnp.PyArray_EMPTY(0, NULL, typenum, 0)
    res = cnp.PyArray_DATA(out)
    if n >= NOGIL_MIN_ELEMENTS:
        with nogil:
            _sum_into(typenum, data, n, res)
    else:
        _sum_into(typenum, data, n, res)
    return out


cdef inline void _sum_into(int typenum, const void *data, Py_ssize_t n, void *res) noexcept nogil:
    if typenum == cnp.NPY_FLOAT32:
        (<float *>res)[0] = ag_sum_f32(<const float *>data, n)
    else:
        (<double *>res)[0] = ag_sum_f64(<const double *>data, n)
