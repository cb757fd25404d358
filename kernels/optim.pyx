# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Fused optimizer updates: SGD, Adam/AdamW and RMSprop in one pass, in place.

The arithmetic follows PyTorch's single-tensor implementations operation by
operation (``lerp`` for Adam's first moment, ``addcmul``/``addcdiv``
evaluation order, scalars rounded to the array's dtype), so float32 results
match ``torch.optim`` to the last bit or two.  Hyper-parameters arrive as
Python floats; bias corrections are computed by the wrapper in double
precision, as PyTorch does in Python.

All arrays are flat (1-D), C-contiguous, of one dtype and equal length.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport sqrt, sqrtf

from ag_common cimport *


def _set_num_threads(int n):
    ag_set_module_threads(n)


def _set_parallel_thresholds(Py_ssize_t elements, Py_ssize_t row_work):
    ag_set_module_parallel_thresholds(elements, row_work)


cdef enum:
    CHUNK = 16384


cdef inline floating _sqrt(floating x) noexcept nogil:
    if floating is float:
        return sqrtf(x)
    else:
        return sqrt(x)


cdef inline floating _lerp(floating start, floating end, floating weight) noexcept nogil:
    # torch.lerp's two-sided formula (exact at weight 0 and 1)
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


cdef void _sgd_chunk(floating *p, const floating *g, floating *buf, Py_ssize_t n,
                     floating lr, floating momentum, floating dampening, floating weight_decay,
                     bint nesterov, bint first_step) noexcept nogil:
    cdef Py_ssize_t j
    cdef floating d, b
    cdef floating neg_lr = -lr
    cdef floating keep = 1 - dampening
    if momentum == 0:
        for j in range(n):
            d = g[j]
            if weight_decay != 0:
                d = d + weight_decay * p[j]
            p[j] = p[j] + neg_lr * d
        return
    for j in range(n):
        d = g[j]
        if weight_decay != 0:
            d = d + weight_decay * p[j]
        if first_step:
            b = d
        else:
            b = buf[j] * momentum + keep * d
        buf[j] = b
        if nesterov:
            d = d + momentum * b
        else:
            d = b
        p[j] = p[j] + neg_lr * d


def sgd_step(floating[::1] param, const floating[::1] grad, floating[::1] momentum_buffer,
             double lr, double momentum, double dampening, double weight_decay,
             bint nesterov, bint first_step):
    """One ``torch.optim.SGD`` update of ``param`` (and ``momentum_buffer`` when ``momentum != 0``).

    ``momentum_buffer`` is ignored (it may be ``param``) when ``momentum == 0``.
    """
    cdef Py_ssize_t n = param.shape[0], nchunks = (n + CHUNK - 1) // CHUNK, c, start
    cdef floating *pp
    cdef const floating *pg
    cdef floating *pb
    if n == 0:
        return
    pp = &param[0]
    pg = &grad[0]
    pb = &momentum_buffer[0]
    with nogil:
        for c in prange(nchunks, schedule='static', num_threads=ag_threads(),
                        use_threads_if=n >= PARALLEL_MIN_ELEMENTS):
            start = c * CHUNK
            _sgd_chunk(pp + start, pg + start, pb + start, min(CHUNK, n - start),
                       <floating>lr, <floating>momentum, <floating>dampening,
                       <floating>weight_decay, nesterov, first_step)


cdef inline void _adam_chunk(floating *p, const floating *g, floating *m, floating *v,
                             Py_ssize_t n, floating one_minus_beta1, floating beta2,
                             floating one_minus_beta2, floating neg_step_size,
                             floating bias_correction2_sqrt, floating eps, floating weight_decay,
                             floating decay_factor, bint decoupled) noexcept nogil:
    # the loop itself is C (ag_common.h), compiled for AVX2 and baseline x86-64
    cdef int wd_mode = 0 if weight_decay == 0 else (2 if decoupled else 1)
    if floating is float:
        ag_adam_f32(p, g, m, v, n, one_minus_beta1, beta2, one_minus_beta2, neg_step_size,
                    bias_correction2_sqrt, eps, weight_decay, decay_factor, wd_mode)
    else:
        ag_adam_f64(p, g, m, v, n, one_minus_beta1, beta2, one_minus_beta2, neg_step_size,
                    bias_correction2_sqrt, eps, weight_decay, decay_factor, wd_mode)


def adam_step(floating[::1] param, const floating[::1] grad, floating[::1] exp_avg,
              floating[::1] exp_avg_sq, double beta1, double beta2, double step_size,
              double bias_correction2_sqrt, double eps, double weight_decay,
              double decay_factor, bint decoupled_weight_decay):
    """One ``torch.optim.Adam``/``AdamW`` update of ``param``, ``exp_avg``, ``exp_avg_sq``.

    ``step_size = lr / (1 - beta1**t)``, ``bias_correction2_sqrt = sqrt(1 - beta2**t)`` and
    ``decay_factor = 1 - lr * weight_decay`` (AdamW) come from the wrapper.
    """
    cdef Py_ssize_t n = param.shape[0], nchunks = (n + CHUNK - 1) // CHUNK, c, start
    cdef floating *pp
    cdef const floating *pg
    cdef floating *pm
    cdef floating *pv
    if n == 0:
        return
    pp = &param[0]
    pg = &grad[0]
    pm = &exp_avg[0]
    pv = &exp_avg_sq[0]
    with nogil:
        for c in prange(nchunks, schedule='static', num_threads=ag_threads(),
                        use_threads_if=n >= PARALLEL_MIN_ELEMENTS):
            start = c * CHUNK
            _adam_chunk(pp + start, pg + start, pm + start, pv + start, min(CHUNK, n - start),
                        <floating>(1.0 - beta1), <floating>beta2, <floating>(1.0 - beta2),
                        <floating>(-step_size), <floating>bias_correction2_sqrt, <floating>eps,
                        <floating>weight_decay, <floating>decay_factor, decoupled_weight_decay)


cdef inline floating _rms_square(floating *p, const floating *g, floating *sq, Py_ssize_t j,
                                 floating alpha, floating one_minus_alpha,
                                 floating weight_decay) noexcept nogil:
    """Update square_avg[j]; returns the (weight-decayed) gradient."""
    cdef floating gj = g[j]
    if weight_decay != 0:
        gj = gj + weight_decay * p[j]
    sq[j] = sq[j] * alpha + one_minus_alpha * gj * gj
    return gj


cdef void _rmsprop_chunk(floating *p, const floating *g, floating *sq, floating *buf,
                         floating *gavg, Py_ssize_t n, floating neg_lr, floating alpha,
                         floating one_minus_alpha, floating eps, floating weight_decay,
                         floating momentum, bint centered) noexcept nogil:
    # One loop per (centered, momentum) case: the optional buffers are then
    # read and written unconditionally inside each loop, which vectorizes.
    cdef Py_ssize_t j
    cdef floating gj, aj, avg, b
    if centered and momentum > 0:
        for j in range(n):
            gj = _rms_square(p, g, sq, j, alpha, one_minus_alpha, weight_decay)
            aj = _lerp(gavg[j], gj, one_minus_alpha)
            gavg[j] = aj
            avg = _sqrt(sq[j] + (-1) * aj * aj) + eps
            b = buf[j] * momentum + gj / avg
            buf[j] = b
            p[j] = p[j] + neg_lr * b
    elif centered:
        for j in range(n):
            gj = _rms_square(p, g, sq, j, alpha, one_minus_alpha, weight_decay)
            aj = _lerp(gavg[j], gj, one_minus_alpha)
            gavg[j] = aj
            avg = _sqrt(sq[j] + (-1) * aj * aj) + eps
            p[j] = p[j] + neg_lr * gj / avg
    elif momentum > 0:
        for j in range(n):
            gj = _rms_square(p, g, sq, j, alpha, one_minus_alpha, weight_decay)
            avg = _sqrt(sq[j]) + eps
            b = buf[j] * momentum + gj / avg
            buf[j] = b
            p[j] = p[j] + neg_lr * b
    else:
        for j in range(n):
            gj = _rms_square(p, g, sq, j, alpha, one_minus_alpha, weight_decay)
            avg = _sqrt(sq[j]) + eps
            p[j] = p[j] + neg_lr * gj / avg


def rmsprop_step(floating[::1] param, const floating[::1] grad, floating[::1] square_avg,
                 floating[::1] momentum_buffer, floating[::1] grad_avg, double lr, double alpha,
                 double eps, double weight_decay, double momentum, bint centered):
    """One ``torch.optim.RMSprop`` update in place.

    ``momentum_buffer`` is used only when ``momentum > 0`` and ``grad_avg`` only when
    ``centered``; otherwise pass any array of the right length (e.g. ``square_avg``).
    """
    cdef Py_ssize_t n = param.shape[0], nchunks = (n + CHUNK - 1) // CHUNK, c, start
    cdef floating *pp
    cdef const floating *pg
    cdef floating *ps
    cdef floating *pb
    cdef floating *pa
    if n == 0:
        return
    pp = &param[0]
    pg = &grad[0]
    ps = &square_avg[0]
    pb = &momentum_buffer[0]
    pa = &grad_avg[0]
    with nogil:
        for c in prange(nchunks, schedule='static', num_threads=ag_threads(),
                        use_threads_if=n >= PARALLEL_MIN_ELEMENTS):
            start = c * CHUNK
            _rmsprop_chunk(pp + start, pg + start, ps + start, pb + start, pa + start,
                           min(CHUNK, n - start), <floating>(-lr), <floating>alpha,
                           <floating>(1.0 - alpha), <floating>eps, <floating>weight_decay,
                           <floating>momentum, centered)
