# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cross-entropy from logits and int64 class indices, one pass per row.

Forward, per row ``i`` with target ``t``::

    lse_i  = m + log(sum_c exp(x_ic - m)),   m = max_c x_ic
    loss_i = (1 - ls) * (lse_i - x_it) + ls * (lse_i - mean_c x_ic)

and ``loss_i = 0`` where ``t == ignore_index``.  Backward writes
``scale_i * (exp(x_ic - lse_i) - ls / C - (1 - ls) * [c == t])`` where the
wrapper folds the upstream gradient, the ignored rows and the mean's
divisor into ``scale``.  Targets are trusted to lie in ``[0, C)`` (the
wrapper raises IndexError first).  ``lse`` is float64 whatever the logits'
dtype, so that ``exp(x - lse)`` in backward is accurate for large logits.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int64_t
from libc.math cimport log, logf

from ag_common cimport *


def _set_num_threads(int n):
    ag_set_module_threads(n)


def _set_parallel_thresholds(Py_ssize_t elements, Py_ssize_t row_work):
    ag_set_module_parallel_thresholds(elements, row_work)


cdef inline floating _ce_row(const floating *x, Py_ssize_t n, int64_t t, int64_t ignore_index,
                             double label_smoothing, double *lse_out) noexcept nogil:
    # lse is kept in double: for float32 logits near 1e4, m + log(s) rounded to
    # float would lose ~1e-3 of the log-probabilities that backward recomputes.
    cdef floating m, s
    cdef double lse, loss
    if floating is float:
        m = ag_row_max_f32(x, n)
        s = ag_row_sum_exp_shift_f32(x, m, n)
    else:
        m = ag_row_max_f64(x, n)
        s = ag_row_sum_exp_shift_f64(x, m, n)
    lse = <double>m + log(<double>s)
    lse_out[0] = lse
    if t == ignore_index:
        return 0
    # -log p_t = log(s) - (x_t - m): exact for the largest logit
    loss = log(<double>s) - <double>(x[t] - m)
    if label_smoothing > 0:
        if floating is float:
            s = ag_row_sum_f32(x, n)
        else:
            s = ag_row_sum_f64(x, n)
        loss = (1 - label_smoothing) * loss + label_smoothing * (lse - <double>s / n)
    return <floating>loss


def cross_entropy_forward(const floating[:, ::1] logits, const int64_t[::1] target,
                          floating[::1] loss_out, double[::1] lse_out,
                          int64_t ignore_index, double label_smoothing):
    """Per-row losses into ``loss_out`` (N,) and log-sum-exps into ``lse_out`` (N,, float64)."""
    cdef Py_ssize_t rows = logits.shape[0], cols = logits.shape[1], i
    cdef const floating *px
    cdef const int64_t *pt
    cdef floating *pl
    cdef double *ps
    if rows == 0 or cols == 0:
        return
    px = &logits[0, 0]
    pt = &target[0]
    pl = &loss_out[0]
    ps = &lse_out[0]
    with nogil:
        if rows > 1 and rows * cols >= PARALLEL_MIN_ROW_WORK:
            for i in prange(rows, schedule='static', num_threads=ag_threads()):
                pl[i] = _ce_row(px + i * cols, cols, pt[i], ignore_index, label_smoothing, ps + i)
        else:   # without entering an OpenMP region (~1 us even for one thread)
            for i in range(rows):
                pl[i] = _ce_row(px + i * cols, cols, pt[i], ignore_index, label_smoothing, ps + i)


cdef inline void _ce_backward_row(const floating *x, Py_ssize_t n, int64_t t, int64_t ignore_index,
                                  double lse, floating scale, floating label_smoothing,
                                  floating *out) noexcept nogil:
    cdef floating smooth = label_smoothing / n
    # x - lse as (x - hi) - lo with hi + lo == lse to about twice the dtype's precision
    cdef floating hi = <floating>lse
    cdef floating lo = <floating>(lse - <double>hi)
    if floating is float:
        ag_row_ce_bwd_f32(x, hi, lo, smooth, scale, out, n)
        if t != ignore_index:
            out[t] = (ag_expf_nonpos((x[t] - hi) - lo) - (1 - label_smoothing) - smooth) * scale
    else:
        ag_row_ce_bwd_f64(x, hi, lo, smooth, scale, out, n)
        if t != ignore_index:
            out[t] = (ag_exp_nonpos((x[t] - hi) - lo) - (1 - label_smoothing) - smooth) * scale


def cross_entropy_backward(const floating[:, ::1] logits, const int64_t[::1] target,
                           const double[::1] lse, const floating[::1] scale,
                           floating[:, ::1] out, int64_t ignore_index, double label_smoothing):
    """``out[i] = scale[i] * (softmax(logits[i]) - (1 - ls) * onehot(t_i) - ls / C)``."""
    cdef Py_ssize_t rows = logits.shape[0], cols = logits.shape[1], i
    cdef const floating *px
    cdef const int64_t *pt
    cdef const double *ps
    cdef const floating *pscale
    cdef floating *po
    cdef floating ls = <floating>label_smoothing
    if rows == 0 or cols == 0:
        return
    px = &logits[0, 0]
    pt = &target[0]
    ps = &lse[0]
    pscale = &scale[0]
    po = &out[0, 0]
    with nogil:
        if rows > 1 and rows * cols >= PARALLEL_MIN_ROW_WORK:
            for i in prange(rows, schedule='static', num_threads=ag_threads()):
                _ce_backward_row(px + i * cols, cols, pt[i], ignore_index, ps[i], pscale[i], ls,
                                 po + i * cols)
        else:   # without entering an OpenMP region
            for i in range(rows):
                _ce_backward_row(px + i * cols, cols, pt[i], ignore_index, ps[i], pscale[i], ls,
                                 po + i * cols)


def check_targets(const int64_t[::1] target, int64_t num_classes, int64_t ignore_index):
    """``(first_bad, ignored)``: the position of the first target outside ``[0, C)`` that is
    not ``ignore_index`` (-1 if none), and how many targets equal ``ignore_index``.

    One pass, used by the wrapper to raise IndexError before any kernel runs.
    """
    cdef Py_ssize_t n = target.shape[0], i, ignored = 0
    cdef int64_t t
    with nogil:
        for i in range(n):
            t = target[i]
            if t == ignore_index:
                ignored += 1
            elif t < 0 or t >= num_classes:
                with gil:
                    return i, ignored
    return -1, ignored
