# NumPy C-API helpers shared by the kernel modules that take ndarrays directly
# (each of them calls cnp.import_array() before using these).

cimport numpy as cnp


cdef inline int contiguous_float_type(object x) noexcept:
    """NumPy's type number of ``x`` if it is a C- or F-contiguous float32 or float64 ndarray
    in native byte order, else 0 (such an ``x`` can be read as one flat run of floats)."""
    cdef cnp.ndarray a
    cdef int typenum
    if not cnp.PyArray_Check(x):
        return 0
    a = <cnp.ndarray>x
    typenum = cnp.PyArray_TYPE(a)
    if typenum != cnp.NPY_FLOAT32 and typenum != cnp.NPY_FLOAT64:
        return 0
    if not (cnp.PyArray_IS_C_CONTIGUOUS(a) or cnp.PyArray_IS_F_CONTIGUOUS(a)):
        return 0
    if not cnp.PyArray_ISNOTSWAPPED(a):
        return 0
    return typenum
