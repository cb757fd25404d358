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
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC
from scipy.linalg.cython_blas cimport sgemm, dgemm

from ag_common cimport ag_set_module_threads, ag_set_module_parallel_thresholds


def _set_num_threads(int n):
    ag_set_module_threads(n)


def _set_parallel_thresholds(Py_ssize_t elements, Py_ssize_t row_work):
    ag_set_module_parallel_thresholds(elements, row_work)


# ---------------------------------------------------------------------------
# How many BLAS threads a product gets.
#
# OpenBLAS splits even a (64, 784) x (784, 128) product across its threads.
# On a quiet 2-core machine that makes a batch-128 MLP step ~20% faster; on a
# machine whose cores are shared, one descheduled BLAS worker stalls the whole
# call for a scheduler tick (milliseconds, against ~0.2 ms of work), and the
# same step gets 2-3x slower.  By default a fixed rule keeps products below
# 2**24 multiply-adds on one thread (robust, and the same bits every run);
# opted in, each product shape is timed both ways and runs the way that has
# been faster (below).
#
# One BLAS thread is had through OpenBLAS's
# ``openblas_set_num_threads_local(int) -> previous`` (OpenBLAS >= 0.3.27),
# and the count is restored right after.  autograd._C looks the function up
# once (by name, in SciPy's bundled OpenBLAS), installs its address with
# ``_set_blas_local_threads_fn``; without it (another BLAS, an older
# OpenBLAS) products run with the BLAS's own threading and nothing is timed.
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
# m * n * k below which a product always runs on one BLAS thread: it takes
# < 20 us, too little for a second thread to win much (OpenBLAS itself does not
# thread below 2**18)
cdef long long _serial_max_work = 1 << 20

# process-wide setter: how many threads are inside a serial section, and the
# count to restore when the last one leaves
cdef PyThread_type_lock _serial_lock = PyThread_allocate_lock()
cdef int _serial_users = 0
cdef int _saved_blas_threads = 0

cdef enum:
    _UNCHANGED = -1   # nothing to restore
    _SHARED = -2      # left through the process-wide count


# ---------------------------------------------------------------------------
# The thread choice per product shape (opt-in: set_gemm_autotune; products of
# _serial_max_work and up).
#
# A small table (4-way set-associative, least recently used shape evicted)
# keyed by (m, n, k, batch, flags) keeps, for
# each shape, an exponentially weighted mean of the wall time with one BLAS
# thread (mode 0) and with the BLAS's own threads (mode 1):
#   * the first _TUNE_WARM calls alternate the modes; the first call of each
#     is not counted (OpenBLAS starts its threads, pages are touched);
#   * then the faster mode runs; the threaded one must be _TUNE_MARGIN faster
#     to be preferred, since its cost when the machine is busy is the spike;
#   * every ``explore_every`` calls the other mode runs once to refresh its
#     time.  When that call beats the chosen mode it counts double and the
#     other mode runs again at the next call, until its mean wins or a call
#     loses (so a quiet spell is found in a few calls, and one lucky call on
#     a busy machine costs one more stalled call, not a switch).  When the
#     exploration confirms the choice, the interval doubles, or quadruples
#     when that is needed to keep explorations at 1/_TUNE_BUDGET of the time
#     (a threaded call stalled by a busy core can take 50x a serial one).  A
#     switch of mode sets it back to _TUNE_MIN_EXPLORE.
#   * Another process's BLAS workers keep spinning for ~0.1 s after their
#     last call (OpenBLAS's thread timeout), and make threaded calls in that
#     window look slow: growing the interval step by step, rather than at
#     once to what the first measurements suggest, lets such a bad first
#     impression be corrected within a few hundred calls.
# A training loop repeats a handful of shapes, so each settles within a few
# steps and follows the load on the machine: a competing process makes the
# threaded times spike, the mean rises and the shape goes back to one thread.
# ---------------------------------------------------------------------------
cdef enum:
    _TUNE_SLOTS = 64
    _TUNE_WAYS = 4        # a shape lives in one of 4 consecutive slots
    _TUNE_WARM = 3
    _TUNE_MIN_EXPLORE = 8
    _TUNE_MAX_EXPLORE = 16384

cdef double _TUNE_MARGIN = 0.9     # threaded must take < 90% of the serial time
cdef double _TUNE_WEIGHT = 0.25    # weight of a new sample in the mean
cdef double _TUNE_PULL = 0.5       # weight of an exploration that beat the chosen mode
# explorations may cost up to 1/_TUNE_BUDGET of the time; the threaded mode's
# measured time undercounts its cost on a busy machine (its workers keep
# spinning on the shared core after the call), hence the wide factor
cdef double _TUNE_BUDGET = 200.0

cdef struct _Tune:
    int m, n, k, flags
    Py_ssize_t batch
    unsigned long long last_use   # _tune_clock at the last call (for eviction)
    double ns[2]          # mean wall time per call in ns, [one thread, BLAS's threads]
    int samples[2]        # calls timed in each mode (the first is not counted)
    int best              # the mode that runs between explorations
    int explore_every     # calls between two runs of the other mode
    int countdown         # calls left until the next exploration
    bint used

cdef _Tune _tune_table[_TUNE_SLOTS]
cdef unsigned long long _tune_clock = 0
# Off by default: OpenBLAS's threaded and single-threaded float32 products differ
# in the last bits, so a choice made by timing makes results differ from run to
# run, and ``manual_seed`` promises a reproducible run.  Opt in with
# ``autograd._C.set_gemm_autotune(True)`` or AUTOGRAD_GEMM_AUTOTUNE=1
# (the way ``torch.backends.cudnn.benchmark`` is opt-in);
# use_deterministic_algorithms(True) overrides it.
cdef bint _tune_enabled = False
cdef bint _deterministic = False
# without the timing (use_deterministic_algorithms) the rule is fixed: one BLAS
# thread below 2**24 multiply-adds (two threads are ~1.8x faster from 256**3 up
# on a quiet 2-core VM, and such a product does >= 0.4 ms of work), the BLAS's
# threads from there
cdef long long _untuned_serial_max_work = 1 << 24
cdef int _forced_mode = -1        # tests: 0 or 1 forces that mode on every tuned product
cdef PyThread_type_lock _tune_lock = PyThread_allocate_lock()


cdef inline double _now_ns() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <double>ts.tv_sec * 1e9 + <double>ts.tv_nsec


cdef inline Py_ssize_t _tune_slot(int m, int n, int k, Py_ssize_t batch, int flags) noexcept nogil:
    cdef size_t h = <size_t>m * 2654435761u
    h ^= <size_t>n * 40503u + (h >> 7)
    h ^= <size_t>k * 2246822519u + (h >> 11)
    h ^= <size_t>batch * 3266489917u + <size_t>flags + (h >> 13)
    return <Py_ssize_t>(h % _TUNE_SLOTS)


cdef inline bint _same_key(_Tune *t, int m, int n, int k, Py_ssize_t batch, int flags) noexcept nogil:
    return t.used and t.m == m and t.n == n and t.k == k and t.batch == batch and t.flags == flags


cdef Py_ssize_t _tune_find(int m, int n, int k, Py_ssize_t batch, int flags) noexcept nogil:
    """The slot of this shape among its _TUNE_WAYS candidates; else a free one, else the
    least recently used (the caller initialises it).  Under _tune_lock."""
    global _tune_clock
    cdef Py_ssize_t first = _tune_slot(m, n, k, batch, flags), i, j, pick = -1
    _tune_clock += 1
    for j in range(_TUNE_WAYS):
        i = (first + j) % _TUNE_SLOTS
        if _same_key(&_tune_table[i], m, n, k, batch, flags):
            _tune_table[i].last_use = _tune_clock
            return i
    for j in range(_TUNE_WAYS):
        i = (first + j) % _TUNE_SLOTS
        if not _tune_table[i].used:
            pick = i
            break
        if pick < 0 or _tune_table[i].last_use < _tune_table[pick].last_use:
            pick = i
    _tune_table[pick].used = False
    _tune_table[pick].last_use = _tune_clock
    return pick


cdef int _tune_plan(int m, int n, int k, Py_ssize_t batch, int flags,
                    Py_ssize_t *slot) noexcept nogil:
    """The mode of this call (0: one BLAS thread, 1: the BLAS's threads); ``*slot``
    is the table entry to report the time to, or -1 when the call is not timed."""
    cdef _Tune *t
    cdef Py_ssize_t i
    cdef int mode
    slot[0] = -1
    if _blas_set_threads_local == NULL:
        return 1                       # cannot pin one thread: nothing to choose
    if <long long>m * n * k < _serial_max_work:
        return 0
    if _forced_mode >= 0:
        return _forced_mode
    if not _tune_enabled or _deterministic:
        return 0 if <long long>m * n * k < _untuned_serial_max_work else 1
    PyThread_acquire_lock(_tune_lock, WAIT_LOCK)
    i = _tune_find(m, n, k, batch, flags)
    t = &_tune_table[i]
    if not _same_key(t, m, n, k, batch, flags):
        t.m = m; t.n = n; t.k = k; t.batch = batch; t.flags = flags
        t.ns[0] = t.ns[1] = 0.0
        t.samples[0] = t.samples[1] = 0
        t.best = 0
        t.explore_every = _TUNE_MIN_EXPLORE
        t.countdown = _TUNE_MIN_EXPLORE
        t.used = True
    if t.samples[0] < _TUNE_WARM or t.samples[1] < _TUNE_WARM:
        mode = 0 if t.samples[0] <= t.samples[1] else 1
    else:
        t.countdown -= 1
        mode = 1 - t.best if t.countdown <= 0 else t.best
    PyThread_release_lock(_tune_lock)
    slot[0] = i
    return mode


cdef void _tune_report(Py_ssize_t i, int m, int n, int k, Py_ssize_t batch, int flags,
                       int mode, double ns) noexcept nogil:
    """Fold the wall time of one call into its shape's entry and choose again."""
    cdef _Tune *t
    cdef int before
    cdef bint exploring, good = False
    cdef double cost
    PyThread_acquire_lock(_tune_lock, WAIT_LOCK)
    t = &_tune_table[i]
    if _same_key(t, m, n, k, batch, flags):   # not taken over by another shape meanwhile
        before = t.best
        exploring = (t.samples[0] >= _TUNE_WARM and t.samples[1] >= _TUNE_WARM
                     and mode != before and t.countdown <= 0)
        if t.samples[mode] == 1:
            t.ns[mode] = ns                   # the first counted sample
        elif t.samples[mode] > 1:
            # would this time alone make the explored mode the choice?
            good = exploring and (ns < _TUNE_MARGIN * t.ns[0] if mode == 1
                                  else _TUNE_MARGIN * ns <= t.ns[1])
            t.ns[mode] += (_TUNE_PULL if good else _TUNE_WEIGHT) * (ns - t.ns[mode])
        t.samples[mode] += 1
        if t.samples[0] >= _TUNE_WARM and t.samples[1] >= _TUNE_WARM:
            t.best = 1 if t.ns[1] < _TUNE_MARGIN * t.ns[0] else 0
            if t.best != before:
                t.explore_every = _TUNE_MIN_EXPLORE
                t.countdown = _TUNE_MIN_EXPLORE
            elif good:
                t.countdown = 1               # it looked faster: look again at once
            elif exploring:
                # confirmed: wait twice as long, or up to four times as long
                # when that is what keeps the cost of exploring the slower mode
                # at 1/_TUNE_BUDGET of the time (not more at once: its mean may
                # come from a passing burst of load)
                cost = _TUNE_BUDGET * (t.ns[1 - before] / t.ns[before] - 1.0)
                t.explore_every = <int>min(max(2.0 * t.explore_every, cost),
                                           4.0 * t.explore_every, <double>_TUNE_MAX_EXPLORE)
                t.countdown = t.explore_every
    PyThread_release_lock(_tune_lock)


def _set_blas_local_threads_fn(size_t address, bint process_wide=True):
    """Install ``int openblas_set_num_threads_local(int)`` from its address (0 removes it).

    ``process_wide``: the function sets the count of every thread (pthreads
    builds of OpenBLAS) rather than only the caller's.
    """
    global _blas_set_threads_local, _blas_setter_is_global
    if _serial_lock == NULL or _tune_lock == NULL:
        raise MemoryError("gemm: could not allocate a lock")
    _blas_set_threads_local = <_set_threads_local_fn>address
    _blas_setter_is_global = process_wide


def _blas_threads_changed(int n):
    """Tell gemm that the BLAS count was set to ``n`` (``autograd._C.set_num_threads``):
    a serial section in flight then restores ``n``, not the count it saw on entry.
    The timings taken with the old count no longer apply, so they are dropped."""
    global _saved_blas_threads
    if _serial_lock == NULL:
        return
    _reset_gemm_tuning()
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
    """Set the m*n*k below which a product always runs on one BLAS thread, untimed
    (returns the old value)."""
    global _serial_max_work
    if work < 0:
        raise ValueError(f"serial gemm threshold must be >= 0, got {work}")
    old = _serial_max_work
    _serial_max_work = work
    return old


def _get_serial_max_work():
    """The m*n*k below which a product always runs on one BLAS thread."""
    return _serial_max_work


def _set_gemm_tuning(bint enabled):
    """Time larger products both ways and run each the faster way (True), or use the
    fixed rule: one BLAS thread below 2**24 multiply-adds, the BLAS's threads from there
    (False, the default: results repeat bit for bit at a given thread count).  Returns
    the previous setting."""
    global _tune_enabled
    old = bool(_tune_enabled)
    _tune_enabled = enabled
    return old


def _set_deterministic(bint enabled):
    """use_deterministic_algorithms: True keeps the fixed rule even with the timing on.
    Returns the previous setting."""
    global _deterministic
    old = bool(_deterministic)
    _deterministic = enabled
    return old


def _get_deterministic():
    """Whether use_deterministic_algorithms is on."""
    return bool(_deterministic)


def _force_gemm_mode(int mode):
    """Tests: run every product of ``_serial_max_work`` and up on one BLAS thread (0) or
    the BLAS's threads (1), untimed; -1 goes back to the normal choice.  Returns the old."""
    global _forced_mode
    if mode not in (-1, 0, 1):
        raise ValueError(f"gemm mode must be -1, 0 or 1, got {mode}")
    old = _forced_mode
    _forced_mode = mode
    return old


def _reset_gemm_tuning():
    """Forget every shape's timings."""
    cdef Py_ssize_t i
    with nogil:
        PyThread_acquire_lock(_tune_lock, WAIT_LOCK)
        for i in range(_TUNE_SLOTS):
            _tune_table[i].used = False
        PyThread_release_lock(_tune_lock)


def _gemm_tuning_table():
    """The shapes timed so far: a list of dicts (m, n, k, batch, flags, ms for one thread
    and for the BLAS's threads, samples, best mode, calls between explorations)."""
    rows = []
    cdef Py_ssize_t i
    cdef _Tune t
    for i in range(_TUNE_SLOTS):
        with nogil:
            PyThread_acquire_lock(_tune_lock, WAIT_LOCK)
            t = _tune_table[i]
            PyThread_release_lock(_tune_lock)
        if t.used:
            rows.append({"m": t.m, "n": t.n, "k": t.k, "batch": t.batch, "flags": t.flags,
                         "ms": (t.ns[0] / 1e6, t.ns[1] / 1e6),
                         "samples": (t.samples[0], t.samples[1]),
                         "threaded": bool(t.best), "explore_every": t.explore_every})
    return rows


def _tune_step(int m, int n, int k, Py_ssize_t batch, int flags, times_ns):
    """Drive the chooser without running a product (tests): for each entry of
    ``times_ns`` -- a pair (ns with one thread, ns threaded) -- plan a call, report the
    time of the mode it chose, and collect the modes.  Returns the list of modes."""
    cdef Py_ssize_t slot
    cdef int mode
    modes = []
    for pair in times_ns:
        mode = _tune_plan(m, n, k, batch, flags, &slot)
        if slot >= 0:
            _tune_report(slot, m, n, k, batch, flags, mode, float(pair[mode]))
        modes.append(mode)
    return modes


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


cdef int _enter_serial() noexcept nogil:
    """Run this thread's next BLAS call on one thread; returns what ``_leave_serial``
    needs to undo it (``_UNCHANGED`` when nothing was done)."""
    global _serial_users, _saved_blas_threads
    if _blas_set_threads_local == NULL:
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


cdef struct _Call:
    int m, n, k, flags, mode, previous
    Py_ssize_t batch, slot
    double start


cdef inline void _call_begin(_Call *c) noexcept nogil:
    """Choose the BLAS threads of the product described by ``c`` and start its clock."""
    c.mode = _tune_plan(c.m, c.n, c.k, c.batch, c.flags, &c.slot)
    c.previous = _enter_serial() if c.mode == 0 else _UNCHANGED
    c.start = _now_ns() if c.slot >= 0 else 0.0


cdef inline void _call_end(_Call *c) noexcept nogil:
    if c.slot >= 0:
        _tune_report(c.slot, c.m, c.n, c.k, c.batch, c.flags, c.mode, _now_ns() - c.start)
    _leave_serial(c.previous)


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
    cdef _Call call
    call.m = m; call.n = n; call.k = k; call.batch = 1
    call.flags = trans_a | (trans_b << 1) | ((floating is double) << 2)
    with nogil:
        _call_begin(&call)
        _gemm_ptr(trans_a, trans_b, m, n, k, alpha_t, &a[0, 0], lda, &b[0, 0], ldb,
                  beta_t, &c[0, 0], ldc)
        _call_end(&call)


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
    cdef _Call call
    if batch == 0:
        return
    pa = &a[0, 0, 0]
    pb = &b[0, 0, 0]
    pc = &c[0, 0, 0]
    call.m = m; call.n = n; call.k = k; call.batch = batch
    call.flags = trans_a | (trans_b << 1) | ((floating is double) << 2)
    with nogil:
        # Serial over the batch: BLAS threads each product itself, and
        # nesting OpenMP threads around it would oversubscribe the cores.
        # The thread choice goes by the size of each product; the whole
        # batch is timed as one call.
        _call_begin(&call)
        for i in range(batch):
            _gemm_ptr(trans_a, trans_b, m, n, k, alpha_t, pa + i * sa, lda, pb + i * sb, ldb,
                      beta_t, pc + i * sc, ldc)
        _call_end(&call)
