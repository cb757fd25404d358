# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Matrix products through BLAS sgemm/dgemm (scipy.linalg.cython_blas).

The arrays are row-major (C order); BLAS is column-major.  A row-major
matrix is the column-major storage of its transpose, so
``C = op(A) op(B)`` is computed as the column-major ``C^T = op(B)^T op(A)^T``:
swap the operands and the sizes, keep the transpose flags.  The leading
dimension of each operand is its row stride, so row slices of a larger
array need no copy, and ``trans_a``/``trans_b`` let backward products like
``grad @ W`` and ``x.T @ grad`` run without materialising a transpose.

The kernels trust their inputs: shapes, strides (unit inner stride, row
stride >= row length) and int32-sized dimensions are checked by the
wrapper in :mod:`autograd.backend.cpu`.
"""

from cython cimport floating
from scipy.linalg.cython_blas cimport sgemm, dgemm

from ag_common cimport ag_set_module_threads


def _set_num_threads(int n):
    ag_set_module_threads(n)


cdef inline int _leading_dim(Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t row_stride) noexcept nogil:
    # A single row has no meaningful row stride (NumPy may report anything);
    # BLAS only requires ld >= max(1, cols) then.
    if rows > 1:
        return <int>row_stride
    return <int>(cols if cols > 1 else 1)


cdef int _check_layout(Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t row_stride,
                       Py_ssize_t col_stride, size_t item) except -1:
    if rows == 0 or cols == 0:
        raise ValueError("gemm: empty matrices must be handled by the caller")
    if cols > 1 and col_stride != <Py_ssize_t>item:
        raise ValueError("gemm: each matrix needs a unit stride along its rows")
    if rows > 1 and (row_stride < cols * <Py_ssize_t>item or row_stride % item):
        raise ValueError("gemm: row stride is smaller than a row (overlapping rows)")
    return 0


cdef void _gemm_ptr(bint trans_a, bint trans_b, int m, int n, int k,
                    floating alpha, const floating *a, int lda,
                    const floating *b, int ldb,
                    floating beta, floating *c, int ldc) noexcept nogil:
    cdef char ta = b'T' if trans_a else b'N'
    cdef char tb = b'T' if trans_b else b'N'
    if floating is float:
        sgemm(&tb, &ta, &n, &m, &k, &alpha, <float *>b, &ldb, <float *>a, &lda, &beta, c, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, &alpha, <double *>b, &ldb, <double *>a, &lda, &beta, c, &ldc)


def gemm(const floating[:, :] a, const floating[:, :] b, floating[:, :] c,
         bint trans_a, bint trans_b, double alpha, double beta):
    """``c = alpha * op(a) @ op(b) + beta * c`` in place (``op(x) = x.T`` if its flag is set).

    ``c`` is (m, n) and must not overlap ``a`` or ``b``; every dimension is
    at least 1 and fits a C int; each matrix has unit inner stride and a row
    stride of at least its row length (the wrapper arranges this; the
    strides are re-checked here so a direct call cannot make BLAS read out of
    bounds).  With ``beta == 0`` the old contents of ``c`` are ignored.
    """
    _check_layout(a.shape[0], a.shape[1], a.strides[0], a.strides[1], sizeof(floating))
    _check_layout(b.shape[0], b.shape[1], b.strides[0], b.strides[1], sizeof(floating))
    _check_layout(c.shape[0], c.shape[1], c.strides[0], c.strides[1], sizeof(floating))
    cdef int m = <int>c.shape[0]
    cdef int n = <int>c.shape[1]
    cdef int k = <int>(a.shape[0] if trans_a else a.shape[1])
    cdef int lda = _leading_dim(a.shape[0], a.shape[1], a.strides[0] // sizeof(floating))
    cdef int ldb = _leading_dim(b.shape[0], b.shape[1], b.strides[0] // sizeof(floating))
    cdef int ldc = _leading_dim(c.shape[0], c.shape[1], c.strides[0] // sizeof(floating))
    cdef floating alpha_t = <floating>alpha
    cdef floating beta_t = <floating>beta
    with nogil:
        _gemm_ptr(trans_a, trans_b, m, n, k, alpha_t, &a[0, 0], lda, &b[0, 0], ldb,
                  beta_t, &c[0, 0], ldc)


def gemm_batched(const floating[:, :, :] a, const floating[:, :, :] b, floating[:, :, :] c,
                 bint trans_a, bint trans_b, double alpha, double beta):
    """``c[i] = alpha * op(a[i]) @ op(b[i]) + beta * c[i]`` for every batch index ``i``.

    A batch stride of 0 (a ``numpy.broadcast_to`` view) reuses one matrix
    for every ``i``.  Same contract as :func:`gemm` per matrix.
    """
    _check_layout(a.shape[1], a.shape[2], a.strides[1], a.strides[2], sizeof(floating))
    _check_layout(b.shape[1], b.shape[2], b.strides[1], b.strides[2], sizeof(floating))
    _check_layout(c.shape[1], c.shape[2], c.strides[1], c.strides[2], sizeof(floating))
    if a.strides[0] < 0 or b.strides[0] < 0 or c.strides[0] < 0:
        raise ValueError("gemm_batched: negative batch strides are not supported")
    cdef Py_ssize_t batch = c.shape[0], i
    cdef int m = <int>c.shape[1]
    cdef int n = <int>c.shape[2]
    cdef int k = <int>(a.shape[1] if trans_a else a.shape[2])
    cdef int lda = _leading_dim(a.shape[1], a.shape[2], a.strides[1] // sizeof(floating))
    cdef int ldb = _leading_dim(b.shape[1], b.shape[2], b.strides[1] // sizeof(floating))
    cdef int ldc = _leading_dim(c.shape[1], c.shape[2], c.strides[1] // sizeof(floating))
    cdef Py_ssize_t sa = a.strides[0] // sizeof(floating)
    cdef Py_ssize_t sb = b.strides[0] // sizeof(floating)
    cdef Py_ssize_t sc = c.strides[0] // sizeof(floating)
    cdef floating alpha_t = <floating>alpha
    cdef floating beta_t = <floating>beta
    cdef const floating *pa
    cdef const floating *pb
    cdef floating *pc
    if batch == 0:
        return
    pa = &a[0, 0, 0]
    pb = &b[0, 0, 0]
    pc = &c[0, 0, 0]
    with nogil:
        # Serial over the batch: BLAS threads each product itself, and
        # nesting OpenMP threads around it would oversubscribe the cores.
        for i in range(batch):
            _gemm_ptr(trans_a, trans_b, m, n, k, alpha_t, pa + i * sa, lda, pb + i * sb, ldb,
                      beta_t, pc + i * sc, ldc)
