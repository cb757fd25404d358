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
from libc.stdlib cimport malloc, free
from libc.string cimport memcmp
from scipy.linalg.cython_blas cimport sgemm, dgemm

from ag_common cimport (ag_threads, ag_set_module_threads,
                        ag_set_module_parallel_thresholds)


def _set_num_threads(int n):
    ag_set_module_threads(n)


def _set_parallel_thresholds(Py_ssize_t elements, Py_ssize_t row_work):
    ag_set_module_parallel_thresholds(elements, row_work)


# ---------------------------------------------------------------------------
# How a product uses the threads.
#
# Three ways (modes) to run one:
#   0  on one BLAS thread;
#   1  split into blocks of rows of C, one per thread (the caller and the
#      workers of kernels/ag_pool.h), each a single-threaded BLAS call;
#   2  one BLAS call on the BLAS's own threads.
# OpenBLAS's threaded float32 products (mode 2) differ from its
# single-threaded ones in the last bits, so choosing between those two by
# timing would make runs differ.  Mode 1 does not change a bit: the sgemm
# kernel walks the columns of its column-major C (the rows of our row-major
# C) in fixed-width blocks (12 on Haswell), and each element sums over k in
# the same order whichever block it is in; so when the row blocks start at
# multiples of that width, every element is what one call gives.  (Splitting
# the other way does change bits.)  The multiple is found once per dtype by
# comparing split and whole products (_split_alignment); where none works,
# there is no mode 1.
#
# Which mode a product runs in:
#   * below _serial_max_work = 2**20 multiply-adds: 0 (< 20 us of work, too
#     little for a second thread to win much; OpenBLAS itself does not thread
#     below 2**18);
#   * from _untuned_serial_max_work = 2**24: 2 (two threads are ~1.8x faster
#     than one there on a quiet 2-core VM, and such a product is >= 0.4 ms);
#   * in between, 0 or 1, per product shape, by timing both (below).  On a
#     quiet 2-core machine 1 makes a batch-128 MLP step ~20% faster; on a
#     machine whose cores are shared, one descheduled thread stalls the whole
#     call for a scheduler tick (milliseconds, against ~0.2 ms of work), and
#     0 is 2-3x faster.  Both give the same bits, so the choice never changes
#     a result.  Without the timing (set_gemm_autotune(False),
#     use_deterministic_algorithms(True)) it is 0.
#
# One BLAS thread is had through OpenBLAS's
# ``openblas_set_num_threads_local(int) -> previous`` (OpenBLAS >= 0.3.27),
# and the count is restored right after.  autograd._C looks the function up
# once (by name, in SciPy's bundled OpenBLAS), installs its address with
# ``_set_blas_local_threads_fn``; without it (another BLAS, an older
# OpenBLAS) products run with the BLAS's own threading (mode 2) and nothing
# is timed.
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
# m * n * k below which a product always runs on one BLAS thread (mode 0)
cdef long long _serial_max_work = 1 << 20
# ... and from which it runs on the BLAS's threads (mode 2)
cdef long long _untuned_serial_max_work = 1 << 24

# process-wide setter: how many threads are inside a serial section, and the
# count to restore when the last one leaves
cdef PyThread_type_lock _serial_lock = PyThread_allocate_lock()
cdef int _serial_users = 0
cdef int _saved_blas_threads = 0

cdef enum:
    _UNCHANGED = -1   # nothing to restore
    _SHARED = -2      # left through the process-wide count


# ---------------------------------------------------------------------------
# The choice between modes 0 and 1, per product shape (products from
# _serial_max_work up to _untuned_serial_max_work, with two kernel threads or
# more).
#
# A small table (4-way set-associative, least recently used shape evicted)
# keyed by (m, n, k, batch, flags) keeps, for
# each shape, an exponentially weighted mean of the wall time on one thread
# (mode 0) and split over the threads (mode 1):
#   * the first _TUNE_WARM calls alternate the modes; the first call of each
#     is not counted (threads start, pages are touched);
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
#   * Another process's BLAS or OpenMP workers keep spinning for a while after
#     their last call (OpenBLAS's thread timeout), and make threaded calls in that
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
    double ns[2]          # mean wall time per call in ns, [one thread, split]
    int samples[2]        # calls timed in each mode (the first is not counted)
    int best              # the mode that runs between explorations
    int explore_every     # calls between two runs of the other mode
    int countdown         # calls left until the next exploration
    bint used

cdef _Tune _tune_table[_TUNE_SLOTS]
cdef unsigned long long _tune_clock = 0
# On by default: both modes give the same bits (see above), so the timing costs
# no reproducibility.  autograd._C.set_gemm_autotune(False) or
# AUTOGRAD_GEMM_AUTOTUNE=0 turns it off; use_deterministic_algorithms(True)
# too (no timing at all, in case a BLAS broke the same-bits rule unseen).
cdef bint _tune_enabled = True
cdef bint _deterministic = False
cdef int _forced_mode = -1        # tests: 0, 1 or 2 forces that mode on every product
                                  # of _serial_max_work and up
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


cdef int _tune_choose(int m, int n, int k, Py_ssize_t batch, int flags,
                      Py_ssize_t *slot, bint *trial) noexcept nogil:
    """The mode of a timed call of this shape (0: one thread, 1: split); ``*slot`` is
    the table entry to report its time to; ``*trial`` says the mode is being tried
    (warm-up or exploration), not the current choice."""
    cdef _Tune *t
    cdef Py_ssize_t i
    cdef int mode
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
        trial[0] = True
    else:
        t.countdown -= 1
        mode = 1 - t.best if t.countdown <= 0 else t.best
        trial[0] = mode != t.best
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


def _get_untuned_serial_max_work():
    """The m*n*k from which a product runs on the BLAS's own threads."""
    return _untuned_serial_max_work


def _set_gemm_tuning(bint enabled):
    """Time the products between 2**20 and 2**24 multiply-adds on one thread and split
    over the kernel threads, and run each shape the faster way (True, the default), or
    run them on one thread (False).  Either way gives the same bits.  Returns the
    previous setting."""
    global _tune_enabled
    old = bool(_tune_enabled)
    _tune_enabled = enabled
    return old


def _get_gemm_tuning():
    """Whether products are timed (see _set_gemm_tuning)."""
    return bool(_tune_enabled)


def _set_deterministic(bint enabled):
    """use_deterministic_algorithms: True runs the products that would be timed on one
    thread, untimed.  Returns the previous setting."""
    global _deterministic
    old = bool(_deterministic)
    _deterministic = enabled
    return old


def _get_deterministic():
    """Whether use_deterministic_algorithms is on."""
    return bool(_deterministic)


def _force_gemm_mode(int mode):
    """Tests: run every product of ``_serial_max_work`` and up on one BLAS thread (0),
    split over the kernel threads (1; on one thread where it cannot be split) or on the
    BLAS's threads (2), untimed; -1 goes back to the normal choice.  Returns the old."""
    global _forced_mode
    if mode not in (-1, 0, 1, 2):
        raise ValueError(f"gemm mode must be -1, 0, 1 or 2, got {mode}")
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
    """The shapes timed so far: a list of dicts (m, n, k, batch, flags, ms on one thread
    and split, samples, whether split is the choice, calls between explorations)."""
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
    cdef bint trial
    modes = []
    for pair in times_ns:
        mode = _tune_choose(m, n, k, batch, flags, &slot, &trial)
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


# ---------------------------------------------------------------------------
# Mode 1: blocks of rows of C on the kernel threads, one BLAS thread each.
# Block boundaries are multiples of _split_align[is_double]: 0 while not yet
# looked for, -1 when no multiple keeps the bits (then there is no mode 1).
# ---------------------------------------------------------------------------
cdef int _split_align[2]
cdef PyThread_type_lock _split_lock = PyThread_allocate_lock()
cdef enum:
    # room for the check products' a, b and two results: m*k + n*k + 2*m*n for the
    # larger one, (m, n, k) = (60, 40, 800) (_split_keeps_bits refuses anything larger)
    _CHECK_ELEMENTS = 60 * 800 + 40 * 800 + 2 * 60 * 40


cdef inline int _split_bound(int i, int chunks, int m, int align) noexcept nogil:
    """The row where block ``i`` of ``chunks`` starts: i*m/chunks rounded to a multiple
    of ``align`` (block ``chunks`` starts at ``m``)."""
    cdef long long at
    if i >= chunks:
        return m
    at = (<long long>i * m) // chunks
    at = ((at + align // 2) // align) * align
    return <int>min(at, <long long>m)


cdef void _gemm_rows(int r0, int r1, bint trans_a, bint trans_b, int n, int k,
                     floating alpha, const floating *a, int lda, const floating *b, int ldb,
                     floating beta, floating *c, int ldc,
                     Py_ssize_t batch, Py_ssize_t sa, Py_ssize_t sb, Py_ssize_t sc) noexcept nogil:
    """Rows ``r0:r1`` of ``c = alpha op(a) op(b) + beta c`` for each of the ``batch``
    matrices (batch strides ``sa, sb, sc``), on one BLAS thread: the caller set the
    process-wide count to 1 (_enter_serial), or, with a per-thread setter, it is set
    here for this thread."""
    cdef Py_ssize_t j
    # row r0 of op(a): row r0 of a, or column r0 of a when op(a) = a.T
    cdef Py_ssize_t offset_a = r0 if trans_a else <Py_ssize_t>r0 * lda
    cdef Py_ssize_t offset_c = <Py_ssize_t>r0 * ldc
    cdef int previous = -1
    if r1 <= r0:
        return
    if not _blas_setter_is_global:
        previous = _blas_set_threads_local(1)
    for j in range(batch):
        _gemm_ptr(trans_a, trans_b, r1 - r0, n, k, alpha, a + j * sa + offset_a, lda,
                  b + j * sb, ldb, beta, c + j * sc + offset_c, ldc)
    if previous >= 0:
        _blas_set_threads_local(previous)


cdef extern from "ag_pool.h" nogil:
    const int AG_HAVE_POOL
    ctypedef void (*ag_pool_fn)(void *ctx, int chunk) noexcept nogil
    int ag_pool_run(ag_pool_fn fn, void *ctx, int chunks)
    void ag_pool_warm(int chunks)


cdef struct _SplitJob:
    # one split product, for the pool's workers (ag_pool.h)
    int chunks, align, m, n, k, lda, ldb, ldc
    bint trans_a, trans_b
    double alpha, beta
    const void *a
    const void *b
    void *c
    Py_ssize_t batch, sa, sb, sc


cdef void _split_chunk_f32(void *ctx, int i) noexcept nogil:
    cdef _SplitJob *job = <_SplitJob *>ctx
    _gemm_rows(_split_bound(i, job.chunks, job.m, job.align),
               _split_bound(i + 1, job.chunks, job.m, job.align),
               job.trans_a, job.trans_b, job.n, job.k, <float>job.alpha, <const float *>job.a,
               job.lda, <const float *>job.b, job.ldb, <float>job.beta, <float *>job.c, job.ldc,
               job.batch, job.sa, job.sb, job.sc)


cdef void _split_chunk_f64(void *ctx, int i) noexcept nogil:
    cdef _SplitJob *job = <_SplitJob *>ctx
    _gemm_rows(_split_bound(i, job.chunks, job.m, job.align),
               _split_bound(i + 1, job.chunks, job.m, job.align),
               job.trans_a, job.trans_b, job.n, job.k, <double>job.alpha,
               <const double *>job.a, job.lda, <const double *>job.b, job.ldb,
               <double>job.beta, <double *>job.c, job.ldc, job.batch, job.sa, job.sb, job.sc)


cdef void _gemm_split(int chunks, int align, bint trans_a, bint trans_b, int m, int n, int k,
                      floating alpha, const floating *a, int lda, const floating *b, int ldb,
                      floating beta, floating *c, int ldc,
                      Py_ssize_t batch, Py_ssize_t sa, Py_ssize_t sb, Py_ssize_t sc) noexcept nogil:
    """Mode 1: the ``m`` rows of ``c`` in ``chunks`` blocks, block 0 on this thread and
    the others on the pool's workers; when the pool is busy (another thread's product)
    the blocks run here one after the other (the same bits either way)."""
    cdef _SplitJob job
    cdef int i
    cdef ag_pool_fn chunk_fn = _split_chunk_f32 if floating is float else _split_chunk_f64
    job.chunks = chunks; job.align = align; job.m = m; job.n = n; job.k = k
    job.lda = lda; job.ldb = ldb; job.ldc = ldc
    job.trans_a = trans_a; job.trans_b = trans_b
    job.alpha = alpha; job.beta = beta
    job.a = a; job.b = b; job.c = c
    job.batch = batch; job.sa = sa; job.sb = sb; job.sc = sc
    if not ag_pool_run(chunk_fn, &job, chunks):
        for i in range(chunks):
            chunk_fn(&job, i)


cdef bint _split_keeps_bits(floating *buf, int align, bint trans_a, bint trans_b,
                            int m, int n, int k) noexcept nogil:
    """Whether an (m, n) product with inner size k, cut into 2 and into 3 row blocks
    at multiples of ``align``, gives exactly the bits of one call.  ``buf`` holds the
    operands (filled) and room for two results."""
    cdef floating *a = buf
    cdef floating *b = a + m * k
    cdef floating *whole = b + n * k
    cdef floating *parts = whole + m * n
    cdef int lda = m if trans_a else k      # a is (k, m) or (m, k), contiguous
    cdef int ldb = k if trans_b else n      # b is (n, k) or (k, n)
    cdef int chunks, i
    if <long long>m * k + <long long>n * k + 2 * <long long>m * n > _CHECK_ELEMENTS:
        return False                        # would not fit in buf
    _gemm_ptr(trans_a, trans_b, m, n, k, <floating>1, a, lda, b, ldb, <floating>0, whole, n)
    for chunks in range(2, 4):
        for i in range(chunks):
            _gemm_rows(_split_bound(i, chunks, m, align), _split_bound(i + 1, chunks, m, align),
                       trans_a, trans_b, n, k, <floating>1, a, lda, b, ldb, <floating>0,
                       parts, n, 1, 0, 0, 0)
        if memcmp(whole, parts, <size_t>m * n * sizeof(floating)) != 0:
            return False
    return True


cdef int _find_split_align(floating *buf) noexcept nogil:
    """The smallest row multiple at which split products keep their bits, or -1.  Checked
    on products with every transpose combination and an inner size past OpenBLAS's
    blocking of k (a few ms, once per dtype)."""
    cdef int candidates[6]
    cdef int c, flags
    cdef unsigned long long state = 88172645463325252ULL
    cdef Py_ssize_t i
    cdef bint same
    candidates[:] = [4, 8, 12, 16, 24, 48]
    for i in range(_CHECK_ELEMENTS):
        state = state * 6364136223846793005ULL + 1442695040888963407ULL
        buf[i] = <floating>(<double>(state >> 40) / 8388608.0 - 1.0)   # in [-1, 1)
    for c in range(6):
        same = True
        for flags in range(4):
            same = same and _split_keeps_bits(buf, candidates[c], flags & 1, flags >> 1,
                                              60, 40, 800)
        same = (same and _split_keeps_bits(buf, candidates[c], False, False, 90, 70, 96)
                and _split_keeps_bits(buf, candidates[c], True, True, 90, 70, 96))
        if same:
            return candidates[c]
    return -1


cdef int _split_alignment(bint is_double) noexcept nogil:
    """The row multiple for mode 1 in this dtype (looked for at the first need), or -1."""
    cdef void *buf
    cdef int align, previous
    if _split_align[is_double] != 0:
        return _split_align[is_double]
    PyThread_acquire_lock(_split_lock, WAIT_LOCK)
    if _split_align[is_double] == 0:
        buf = malloc(_CHECK_ELEMENTS * (sizeof(double) if is_double else sizeof(float)))
        if buf == NULL:
            align = -1
        else:
            previous = _enter_serial()
            if is_double:
                align = _find_split_align(<double *>buf)
            else:
                align = _find_split_align(<float *>buf)
            _leave_serial(previous)
            free(buf)
        _split_align[is_double] = align
    PyThread_release_lock(_split_lock)
    return _split_align[is_double]


def _split_row_multiple(bint is_double):
    """The multiple of rows at which mode 1 cuts float64 (True) or float32 (False)
    products, -1 when cutting would change bits (tests, diagnostics)."""
    if _split_lock == NULL:
        raise MemoryError("gemm: could not allocate a lock")
    with nogil:
        align = _split_alignment(is_double)
    return align


# ---------------------------------------------------------------------------
# One product: choose its mode, time it when the choice is being made.
# ---------------------------------------------------------------------------
cdef struct _Call:
    int m, n, k, flags, mode, previous, chunks, align
    Py_ssize_t batch, slot
    double start


cdef bint _can_split(_Call *c) noexcept nogil:
    """Whether the product can run in mode 1; sets its blocks and their row multiple."""
    cdef int threads, align
    if not AG_HAVE_POOL:
        return False
    threads = ag_threads()
    if threads < 2:
        return False
    align = _split_alignment((c.flags >> 2) & 1)
    if align <= 0 or c.m // align < 2:
        return False
    c.chunks = min(threads, c.m // align)
    c.align = align
    return True


cdef int _plan(_Call *c) noexcept nogil:
    """The mode of the product described by ``c``; sets ``c.slot`` (the table entry to
    report its time to, -1 when it is not timed) and, for mode 1, its blocks."""
    cdef long long work = <long long>c.m * c.n * c.k
    cdef int mode
    cdef bint trial = False
    c.slot = -1
    if _blas_set_threads_local == NULL:
        return 2                       # cannot pin one thread: nothing to choose
    if work < _serial_max_work:
        return 0
    if _forced_mode == 0 or _forced_mode == 2:
        return _forced_mode
    if _forced_mode == 1:
        return 1 if _can_split(c) else 0
    if work >= _untuned_serial_max_work:
        return 2
    if not _tune_enabled or _deterministic or not _can_split(c):
        return 0
    mode = _tune_choose(c.m, c.n, c.k, c.batch, c.flags, &c.slot, &trial)
    if mode == 1 and trial:
        # time the split with the workers awake, as they are when it is the choice
        ag_pool_warm(c.chunks)
    return mode


cdef inline void _call_begin(_Call *c) noexcept nogil:
    """Choose the mode of the product described by ``c`` and start its clock."""
    c.mode = _plan(c)
    c.previous = _enter_serial() if c.mode != 2 else _UNCHANGED
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
        if call.mode == 1:
            _gemm_split(call.chunks, call.align, trans_a, trans_b, m, n, k, alpha_t,
                        &a[0, 0], lda, &b[0, 0], ldb, beta_t, &c[0, 0], ldc, 1, 0, 0, 0)
        else:
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
        # The mode goes by the size of each product; the whole batch is timed
        # as one call.  Split (mode 1), each thread takes the same rows of
        # every product; otherwise the products run one after the other (BLAS
        # threads each one itself in mode 2, and OpenMP threads around that
        # would oversubscribe the cores).
        _call_begin(&call)
        if call.mode == 1:
            _gemm_split(call.chunks, call.align, trans_a, trans_b, m, n, k, alpha_t,
                        pa, lda, pb, ldb, beta_t, pc, ldc, batch, sa, sb, sc)
        else:
            for i in range(batch):
                _gemm_ptr(trans_a, trans_b, m, n, k, alpha_t, pa + i * sa, lda, pb + i * sb,
                          ldb, beta_t, pc + i * sc, ldc)
        _call_end(&call)
