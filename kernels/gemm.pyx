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
from cpython.pythread cimport (PyThread_type_lock, PyThread_allocate_lock, PyThread_acquire_lock,
                               PyThread_release_lock, WAIT_LOCK)
from scipy.linalg.cython_blas cimport sgemm, dgemm

from ag_common cimport ag_set_module_threads, ag_set_module_parallel_thresholds


def _set_num_threads(int n):
    ag_set_module_threads(n)


def _set_parallel_thresholds(Py_ssize_t elements, Py_ssize_t row_work):
    ag_set_module_parallel_thresholds(elements, row_work)


# ---------------------------------------------------------------------------
# Single-threaded BLAS for small products.
#
# OpenBLAS splits even a (64, 784) x (784, 128) product across its threads.
# On a machine whose cores are shared, one descheduled BLAS worker then
# stalls the whole call for a scheduler tick (~10 ms, against ~0.2 ms of
# work).  Products below ``_serial_max_work`` multiply-adds therefore run
# with one BLAS thread, through OpenBLAS's
# ``openblas_set_num_threads_local(int) -> previous`` (OpenBLAS >= 0.3.27),
# and the count is restored right after.  autograd._C looks the function up
# once (by name, in SciPy's bundled OpenBLAS), installs its address with
# ``_set_blas_local_threads_fn``; without it (another BLAS, an older
# OpenBLAS) products run with the BLAS's own threading, as before.
#
# The function is thread-local only in OpenMP builds of OpenBLAS.  In
# pthreads builds (SciPy's wheels) it sets the process-wide count, so two
# threads doing small products at once could restore each other's "1" and
# leave BLAS single-threaded for good.  There the first thread in sets 1
# and the last one out restores, under a lock (a concurrent large product
# in another thread may then run on one thread: slower, never wrong).
# ---------------------------------------------------------------------------
ctypedef int (*_set_threads_local_fn)(int) noexcept nogil

cdef _set_threads_local_fn _blas_set_threads_local = NULL
cdef bint _blas_setter_is_global = True
# m * n * k below which a product runs on one BLAS thread: two threads are
# ~1.8x faster from 256**3 (2**24) up on a quiet 2-core VM, and each such
# product then does >= 0.4 ms of work, enough to be worth the stall risk
cdef long long _serial_max_work = 1 << 24

# process-wide setter: how many threads are inside a serial section, and the
# count to restore when the last one leaves
cdef PyThread_type_lock _serial_lock = PyThread_allocate_lock()
cdef int _serial_users = 0
cdef int _saved_blas_threads = 0

cdef enum:
    _UNCHANGED = -1   # nothing to restore
    _SHARED = -2      # left through the process-wide count


def _set_blas_local_threads_fn(size_t address, bint process_wide=True):
    """Install ``int openblas_set_num_threads_local(int)`` from its address (0 removes it).

    ``process_wide``: the function sets the count of every thread (pthreads
    builds of OpenBLAS) rather than only the caller's.
    """
    global _blas_set_threads_local, _blas_setter_is_global
    if _serial_lock == NULL:
        raise MemoryError("gemm: could not allocate a lock")
    _blas_set_threads_local = <_set_threads_local_fn>address
    _blas_setter_is_global = process_wide


def _blas_threads_changed(int n):
    """Tell gemm that the BLAS count was set to ``n`` (``autograd._C.set_num_threads``):
    a serial section in flight then restores ``n``, not the count it saw on entry."""
    global _saved_blas_threads
    if _serial_lock == NULL:
        return
    with nogil:
        PyThread_acquire_lock(_serial_lock, WAIT_LOCK)
        if _serial_users > 0:
            _saved_blas_threads = n
        PyThread_release_lock(_serial_lock)


def _blas_setter_is_process_wide():
    """True when the installed setter changes every thread's BLAS count (see above)."""
    return bool(_blas_setter_is_global)


def _has_blas_local_threads():
    """True when small products can be pinned to one BLAS thread."""
    return _blas_set_threads_local != NULL


def _set_serial_max_work(long long work):
    """Set the m*n*k below which a product runs on one BLAS thread (returns the old value)."""
    global _serial_max_work
    if work < 0:
        raise ValueError(f"serial gemm threshold must be >= 0, got {work}")
    old = _serial_max_work
    _serial_max_work = work
    return old


def _get_serial_max_work():
    """The m*n*k below which a product runs on one BLAS thread."""
    return _serial_max_work


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


cdef int _enter_serial(int m, int n, int k) noexcept nogil:
    """Run this thread's next BLAS call on one thread if the product is small; returns
    what ``_leave_serial`` needs to undo it (``_UNCHANGED`` when nothing was done)."""
    global _serial_users, _saved_blas_threads
    if _blas_set_threads_local == NULL or <long long>m * n * k >= _serial_max_work:
        return _UNCHANGED
    if not _blas_setter_is_global:
        return _blas_set_threads_local(1)   # the previous count of this thread, >= 0
    PyThread_acquire_lock(_serial_lock, WAIT_LOCK)
    if _serial_users == 0:
        _saved_blas_threads = _blas_set_threads_local(1)
    _serial_users += 1
    PyThread_release_lock(_serial_lock)
    return _SHARED


cdef void _leave_serial(int previous) noexcept nogil:
    global _serial_users
    if previous == _UNCHANGED:
        return
    if previous != _SHARED:
        _blas_set_threads_local(previous)
        return
    PyThread_acquire_lock(_serial_lock, WAIT_LOCK)
    _serial_users -= 1
    if _serial_users == 0:
        _blas_set_threads_local(_saved_blas_threads)
    PyThread_release_lock(_serial_lock)


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
    cdef int previous
    with nogil:
        previous = _enter_serial(m, n, k)
        _gemm_ptr(trans_a, trans_b, m, n, k, alpha_t, &a[0, 0], lda, &b[0, 0], ldb,
                  beta_t, &c[0, 0], ldc)
        _leave_serial(previous)


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
    cdef int previous
    if batch == 0:
        return
    pa = &a[0, 0, 0]
    pb = &b[0, 0, 0]
    pc = &c[0, 0, 0]
    with nogil:
        # Serial over the batch: BLAS threads each product itself, and
        # nesting OpenMP threads around it would oversubscribe the cores.
        # The one-thread rule goes by the size of each product.
        previous = _enter_serial(m, n, k)
        for i in range(batch):
            _gemm_ptr(trans_a, trans_b, m, n, k, alpha_t, pa + i * sa, lda, pb + i * sb, ldb,
                      beta_t, pc + i * sc, ldc)
        _leave_serial(previous)
