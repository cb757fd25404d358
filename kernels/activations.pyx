# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Activation kernels: ReLU (forward, backward, fused bias+ReLU), sigmoid and
softmax / log-softmax over the last axis of a 2-D C-contiguous array.

Elementwise kernels take flat (1-D) views and split them into fixed-size
chunks handed to OpenMP threads (``schedule(static)``); row kernels give
whole rows to threads.  Below ``PARALLEL_MIN_ELEMENTS`` elements (row
kernels: ``PARALLEL_MIN_ROW_WORK`` = rows * cols, see ag_common.h)
everything runs on the calling thread.  Inputs are trusted: the wrapper in
:mod:`autograd.backend.cpu` checks dtypes, shapes and contiguity.
"""

cimport numpy as cnp
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport log, logf

from ag_common cimport *
from ag_numpy cimport contiguous_float_type

cnp.import_array()

cdef extern from "numpy/arrayobject.h":
    # (missing from numpy's .pxd) a new uninitialised array shaped like ``prototype``
    object PyArray_NewLikeArray(cnp.ndarray prototype, cnp.NPY_ORDER order, void *descr,
                                int subok)


def _set_num_threads(int n):
    ag_set_module_threads(n)


def _set_parallel_thresholds(Py_ssize_t elements, Py_ssize_t row_work):
    ag_set_module_parallel_thresholds(elements, row_work)


# Elements per work item of the elementwise loops: large enough that the
# inner loop vectorizes and streams, small enough to balance the threads.
cdef enum:
    CHUNK = 16384


cdef inline void _relu_chunk(const floating *x, floating *out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    cdef floating v
    for j in range(n):
        v = x[j]
        # `v < 0` (not `v > 0`) so NaN passes through, as in PyTorch
        out[j] = 0 if v < 0 else v


cdef inline void _relu_backward_chunk(const floating *g, const floating *x, floating *out,
                                      Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    cdef floating gj
    for j in range(n):
        # both loads unconditional, so the compiler turns the choice into a
        # vector select instead of a (mispredicted) branch
        gj = g[j]
        # zero where x <= 0 (not "pass where x > 0"): NaN passes its gradient, as in
        # PyTorch's threshold_backward
        out[j] = 0 if x[j] <= 0 else gj


def relu_forward(const floating[::1] x, floating[::1] out):
    """``out = max(x, 0)`` elementwise over flat arrays of equal length (``out`` may be ``x``)."""
    cdef Py_ssize_t n = x.shape[0], nchunks = (n + CHUNK - 1) // CHUNK, c, start
    cdef const floating *px
    cdef floating *po
    if n == 0:
        return
    px = &x[0]
    po = &out[0]
    with nogil:
        for c in prange(nchunks, schedule='static', num_threads=ag_threads(),
                        use_threads_if=n >= PARALLEL_MIN_ELEMENTS):
            start = c * CHUNK
            _relu_chunk(px + start, po + start, min(CHUNK, n - start))


def relu_backward(const floating[::1] grad, const floating[::1] x, floating[::1] out):
    """``out = grad`` where ``x > 0`` or ``x`` is NaN, else 0, over flat arrays of equal length."""
    cdef Py_ssize_t n = x.shape[0], nchunks = (n + CHUNK - 1) // CHUNK, c, start
    cdef const floating *pg
    cdef const floating *px
    cdef floating *po
    if n == 0:
        return
    pg = &grad[0]
    px = &x[0]
    po = &out[0]
    with nogil:
        for c in prange(nchunks, schedule='static', num_threads=ag_threads(),
                        use_threads_if=n >= PARALLEL_MIN_ELEMENTS):
            start = c * CHUNK
            _relu_backward_chunk(pg + start, px + start, po + start, min(CHUNK, n - start))


ctypedef void (*_flat_f32)(const float *, float *, Py_ssize_t) noexcept nogil
ctypedef void (*_flat_f64)(const double *, double *, Py_ssize_t) noexcept nogil


cdef void _map_flat(const floating *px, floating *po, Py_ssize_t n, _flat_f32 f32,
                    _flat_f64 f64) noexcept nogil:
    """Apply a row primitive of ag_common.h (``f32`` or ``f64``) to ``n`` elements in
    chunks, threaded above the element threshold."""
    cdef Py_ssize_t nchunks = (n + CHUNK - 1) // CHUNK, c, start
    if n < PARALLEL_MIN_ELEMENTS:
        # on this thread, without entering an OpenMP region (~1 us even for one thread)
        if floating is float:
            f32(px, po, n)
        else:
            f64(px, po, n)
        return
    for c in prange(nchunks, schedule='static', num_threads=ag_threads()):
        start = c * CHUNK
        if floating is float:
            f32(px + start, po + start, min(CHUNK, n - start))
        else:
            f64(px + start, po + start, min(CHUNK, n - start))


def exp_forward(const floating[::1] x, floating[::1] out):
    """``out = exp(x)`` elementwise over flat arrays of equal length (``out`` may be ``x``).

    IEEE results at both ends: ``inf`` above ``ln(max float)``, subnormals
    (rounded once) below the smallest normal result, 0 below those, NaN for NaN;
    about 1 ulp elsewhere.
    """
    if x.shape[0] == 0:
        return
    with nogil:
        _map_flat(&x[0], &out[0], x.shape[0], ag_exp_f32, ag_exp_f64)


cdef void _relu_f32(const float *x, float *out, Py_ssize_t n) noexcept nogil:
    _relu_chunk(x, out, n)


cdef void _relu_f64(const double *x, double *out, Py_ssize_t n) noexcept nogil:
    _relu_chunk(x, out, n)


#: ``map_new``'s operations
RELU, EXP, SIGMOID = 0, 1, 2
cdef _flat_f32 _MAP_F32[3]
cdef _flat_f64 _MAP_F64[3]
_MAP_F32[:] = [_relu_f32, ag_exp_f32, ag_sigmoid_f32]
_MAP_F64[:] = [_relu_f64, ag_exp_f64, ag_sigmoid_f64]


def map_new(int op, x):
    """A new array ``op(x)`` (``op``: RELU, EXP or SIGMOID, as the flat kernels above) for
    a C- or F-contiguous float32/float64 ndarray ``x``, of ``x``'s shape, dtype and memory
    order; None for any other ``x`` (the caller then decides).

    The array is read through NumPy's C API: three typed-memoryview arguments
    cost ~0.8 us per call, this entry ~0.1 us.
    """
    cdef cnp.ndarray a, out
    cdef int typenum
    cdef Py_ssize_t n
    cdef const void *px
    cdef void *po
    if op < 0 or op > 2:
        raise ValueError(f"map_new: unknown operation {op}")
    typenum = contiguous_float_type(x)
    if typenum == 0:
        return None
    a = <cnp.ndarray>x
    out = PyArray_NewLikeArray(a, cnp.NPY_KEEPORDER, NULL, 0)
    n = cnp.PyArray_SIZE(a)
    px = cnp.PyArray_DATA(a)
    po = cnp.PyArray_DATA(out)
    if n == 0:
        return out
    with nogil:
        if typenum == cnp.NPY_FLOAT32:
            _map_flat(<const float *>px, <float *>po, n, _MAP_F32[op], NULL)
        else:
            _map_flat(<const double *>px, <double *>po, n, NULL, _MAP_F64[op])
    return out


def relu_backward_colsum(const floating[:, ::1] grad, const floating[:, ::1] y,
                         floating[:, ::1] out, floating[::1] colsum):
    """``out = grad * (y > 0)`` and ``colsum = out.sum(axis=0)`` in one pass over the rows.

    The backward of ``relu(x @ W.T + b)``: the masked gradient and the bias
    gradient together.  Rows are added in order, as NumPy's ``sum(axis=0)``
    does.  Serial (the wrapper sends large inputs to the threaded kernels).
    """
    cdef Py_ssize_t rows = grad.shape[0], cols = grad.shape[1], i, j
    if (y.shape[0] != rows or y.shape[1] != cols or out.shape[0] != rows
            or out.shape[1] != cols or colsum.shape[0] != cols):
        raise ValueError(f"relu_backward_colsum: shapes ({rows}, {cols}), "
                         f"({y.shape[0]}, {y.shape[1]}), ({out.shape[0]}, {out.shape[1]}) "
                         f"and ({colsum.shape[0]},) do not fit")
    if cols == 0:
        return
    if rows == 0:
        colsum[:] = 0
        return
    if _overlap(&grad[0, 0], &y[0, 0], &out[0, 0], &colsum[0], rows * cols, cols):
        raise ValueError("relu_backward_colsum: out and colsum must not overlap the inputs "
                         "or each other")
    with nogil:
        if floating is float:
            ag_relu_bwd_colsum_f32(&grad[0, 0], &y[0, 0], &out[0, 0], &colsum[0], rows, cols)
        else:
            ag_relu_bwd_colsum_f64(&grad[0, 0], &y[0, 0], &out[0, 0], &colsum[0], rows, cols)


cdef bint _overlap(const floating *g, const floating *y, floating *out, floating *colsum,
                   Py_ssize_t n, Py_ssize_t cols) noexcept:
    """True if ``out`` (n elements) or ``colsum`` (cols) shares memory with another array
    (the C loop promises the compiler they do not)."""
    cdef const floating *o = out
    cdef const floating *c = colsum
    return (_ranges_meet(o, n, g, n) or _ranges_meet(o, n, y, n) or _ranges_meet(c, cols, g, n)
            or _ranges_meet(c, cols, y, n) or _ranges_meet(c, cols, o, n))


cdef inline bint _ranges_meet(const floating *a, Py_ssize_t na, const floating *b,
                              Py_ssize_t nb) noexcept:
    return a < b + nb and b < a + na


def sigmoid_forward(const floating[::1] x, floating[::1] out):
    """``out = 1 / (1 + exp(-x))`` elementwise over flat arrays of equal length (``out`` may be ``x``).

    Stable in both tails (``exp`` only ever sees ``-|x|``); results below the
    smallest normal number flush to 0.
    """
    if x.shape[0] == 0:
        return
    with nogil:
        _map_flat(&x[0], &out[0], x.shape[0], ag_sigmoid_f32, ag_sigmoid_f64)


cdef inline void _bias_relu_row(floating *x, const floating *bias, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    cdef floating v
    for j in range(n):
        v = x[j] + bias[j]
        x[j] = 0 if v < 0 else v


def bias_relu_forward(floating[:, ::1] x, const floating[::1] bias):
    """In place: ``x[i, :] = max(x[i, :] + bias, 0)`` in one pass (``bias`` has ``x.shape[1]`` entries)."""
    cdef Py_ssize_t rows = x.shape[0], cols = x.shape[1], i
    cdef floating *px
    cdef const floating *pb
    if rows == 0 or cols == 0:
        return
    px = &x[0, 0]
    pb = &bias[0]
    with nogil:
        if rows > 1 and rows * cols >= PARALLEL_MIN_ELEMENTS:
            for i in prange(rows, schedule='static', num_threads=ag_threads()):
                _bias_relu_row(px + i * cols, pb, cols)
        else:   # without entering an OpenMP region (~1 us even for one thread)
            for i in range(rows):
                _bias_relu_row(px + i * cols, pb, cols)


cdef inline void _softmax_row(const floating *x, floating *out, Py_ssize_t n) noexcept nogil:
    cdef floating m, s
    if floating is float:
        m = ag_row_max_f32(x, n)
        s = ag_row_exp_shift_sum_f32(x, m, out, n)
        ag_row_scale_f32(out, 1.0 / s, n)
    else:
        m = ag_row_max_f64(x, n)
        s = ag_row_exp_shift_sum_f64(x, m, out, n)
        ag_row_scale_f64(out, 1.0 / s, n)


cdef inline void _log_softmax_row(const floating *x, floating *out, Py_ssize_t n) noexcept nogil:
    cdef floating m, s
    if floating is float:
        m = ag_row_max_f32(x, n)
        s = ag_row_sum_exp_shift_f32(x, m, n)
        ag_row_sub2_f32(x, m, logf(s), out, n)
    else:
        m = ag_row_max_f64(x, n)
        s = ag_row_sum_exp_shift_f64(x, m, n)
        ag_row_sub2_f64(x, m, log(s), out, n)


def softmax_forward(const floating[:, ::1] x, floating[:, ::1] out):
    """Row-wise softmax: ``out[i] = exp(x[i] - max x[i]) / sum(exp(x[i] - max x[i]))``."""
    cdef Py_ssize_t rows = x.shape[0], cols = x.shape[1], i
    cdef const floating *px
    cdef floating *po
    if rows == 0 or cols == 0:
        return
    px = &x[0, 0]
    po = &out[0, 0]
    with nogil:
        for i in prange(rows, schedule='static', num_threads=ag_threads(),
                        use_threads_if=rows > 1 and rows * cols >= PARALLEL_MIN_ROW_WORK):
            _softmax_row(px + i * cols, po + i * cols, cols)


def log_softmax_forward(const floating[:, ::1] x, floating[:, ::1] out):
    """Row-wise log-softmax: ``out[i] = (x[i] - m) - log(sum(exp(x[i] - m)))``, ``m = max x[i]``."""
    cdef Py_ssize_t rows = x.shape[0], cols = x.shape[1], i
    cdef const floating *px
    cdef floating *po
    if rows == 0 or cols == 0:
        return
    px = &x[0, 0]
    po = &out[0, 0]
    with nogil:
        for i in prange(rows, schedule='static', num_threads=ag_threads(),
                        use_threads_if=rows > 1 and rows * cols >= PARALLEL_MIN_ROW_WORK):
            _log_softmax_row(px + i * cols, po + i * cols, cols)


cdef inline void _softmax_backward_row(const floating *g, const floating *y, floating *out,
                                       Py_ssize_t n) noexcept nogil:
    if floating is float:
        ag_row_softmax_bwd_f32(g, y, ag_row_dot_f32(g, y, n), out, n)
    else:
        ag_row_softmax_bwd_f64(g, y, ag_row_dot_f64(g, y, n), out, n)


cdef inline void _log_softmax_backward_row(const floating *g, const floating *y, floating *out,
                                           Py_ssize_t n) noexcept nogil:
    if floating is float:
        ag_row_log_softmax_bwd_f32(g, y, ag_row_sum_f32(g, n), out, n)
    else:
        ag_row_log_softmax_bwd_f64(g, y, ag_row_sum_f64(g, n), out, n)


def softmax_backward(const floating[:, ::1] grad, const floating[:, ::1] y, floating[:, ::1] out):
    """Row-wise ``out = y * (grad - sum(grad * y))`` given the softmax output ``y``."""
    cdef Py_ssize_t rows = y.shape[0], cols = y.shape[1], i
    cdef const floating *pg
    cdef const floating *py
    cdef floating *po
    if rows == 0 or cols == 0:
        return
    pg = &grad[0, 0]
    py = &y[0, 0]
    po = &out[0, 0]
    with nogil:
        for i in prange(rows, schedule='static', num_threads=ag_threads(),
                        use_threads_if=rows > 1 and rows * cols >= PARALLEL_MIN_ROW_WORK):
            _softmax_backward_row(pg + i * cols, py + i * cols, po + i * cols, cols)


def log_softmax_backward(const floating[:, ::1] grad, const floating[:, ::1] y, floating[:, ::1] out):
    """Row-wise ``out = grad - exp(y) * sum(grad)`` given the log-softmax output ``y``."""
    cdef Py_ssize_t rows = y.shape[0], cols = y.shape[1], i
    cdef const floating *pg
    cdef const floating *py
    cdef floating *po
    if rows == 0 or cols == 0:
        return
    pg = &grad[0, 0]
    py = &y[0, 0]
    po = &out[0, 0]
    with nogil:
        for i in prange(rows, schedule='static', num_threads=ag_threads(),
                        use_threads_if=rows > 1 and rows * cols >= PARALLEL_MIN_ROW_WORK):
            _log_softmax_backward_row(pg + i * cols, py + i * cols, po + i * cols, cols)
