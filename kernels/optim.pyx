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

cimport numpy as cnp
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport pow, sqrt, sqrtf
from libc.stdlib cimport free, malloc

import numpy

from ag_common cimport *

cnp.import_array()


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


cdef struct _AdamTensor:
    void *p
    const void *g
    void *m
    void *v
    Py_ssize_t n
    double step_size
    double bias_correction2_sqrt


cdef str _same_layout(str name, Py_ssize_t i, object arr, cnp.ndarray like, bint writeable):
    """Why ``arr`` cannot be used as ``name[i]`` next to param ``like`` (None when it can;
    TypeError when it is not an array)."""
    cdef cnp.ndarray a
    cdef int d
    if not cnp.PyArray_Check(arr):
        raise TypeError(f"adam_step_multi: {name}[{i}] must be a numpy array, got "
                        f"{type(arr).__name__}")
    a = <cnp.ndarray>arr
    if cnp.PyArray_TYPE(a) != cnp.PyArray_TYPE(like):
        return f"{name}[{i}] must have dtype {(<object>like).dtype}, got {(<object>a).dtype}"
    if cnp.PyArray_NDIM(a) != cnp.PyArray_NDIM(like):
        return f"{name}[{i}] must have shape {(<object>like).shape}, got {(<object>a).shape}"
    for d in range(cnp.PyArray_NDIM(a)):
        if cnp.PyArray_DIMS(a)[d] != cnp.PyArray_DIMS(like)[d]:
            return f"{name}[{i}] must have shape {(<object>like).shape}, got {(<object>a).shape}"
    if writeable:
        if not cnp.PyArray_IS_C_CONTIGUOUS(a):
            return f"{name}[{i}] must be C-contiguous (it is updated in place)"
        if not cnp.PyArray_ISWRITEABLE(a):
            return f"{name}[{i}] is read-only (it is updated in place)"
    return None


cdef void _adam_tensor_range(const _AdamTensor *t, Py_ssize_t start, Py_ssize_t n, bint is_f32,
                             double lr, double beta1, double beta2, double eps,
                             double weight_decay, bint decoupled_weight_decay) noexcept nogil:
    """Elements ``[start, start + n)`` of one tensor of :func:`adam_step_multi`, through
    adam_step's own chunk function, so both entry points share one arithmetic."""
    if is_f32:
        _adam_chunk(<float *>t.p + start, <const float *>t.g + start,
                    <float *>t.m + start, <float *>t.v + start,
                    n, <float>(1.0 - beta1), <float>beta2,
                    <float>(1.0 - beta2), <float>(-t.step_size),
                    <float>t.bias_correction2_sqrt, <float>eps,
                    <float>weight_decay, <float>(1.0 - lr * weight_decay),
                    decoupled_weight_decay)
    else:
        _adam_chunk(<double *>t.p + start, <const double *>t.g + start,
                    <double *>t.m + start, <double *>t.v + start,
                    n, 1.0 - beta1, beta2, 1.0 - beta2,
                    -t.step_size, t.bias_correction2_sqrt, eps, weight_decay,
                    1.0 - lr * weight_decay, decoupled_weight_decay)


def adam_step_multi(list params, list grads, list exp_avgs, list exp_avg_sqs, list steps,
                    double lr, double beta1, double beta2, double eps, double weight_decay,
                    bint decoupled_weight_decay):
    """:func:`adam_step` for many parameters in one call (PyTorch's multi-tensor Adam).

    ``params[i]``, ``exp_avgs[i]`` and ``exp_avg_sqs[i]`` are updated in place;
    ``steps[i]`` is the 1-based count of ``params[i]`` after this update.  Each
    parameter gets exactly :func:`adam_step`'s arithmetic; the lists are
    checked (dtype float32/float64, equal shapes, contiguity, writeability)
    before any array is touched, and ``ValueError``/``TypeError`` name the
    offending list and index.  A non-contiguous gradient is copied first.
    """
    cdef Py_ssize_t count = len(params), i, c, start, nchunks
    cdef cnp.ndarray p
    cdef object g
    cdef str problem
    cdef double step
    cdef _AdamTensor *ts
    cdef _AdamTensor t
    cdef bint is_f32 = True
    if len(grads) != count or len(exp_avgs) != count or len(exp_avg_sqs) != count \
            or len(steps) != count:
        raise ValueError(f"adam_step_multi: params, grads, exp_avgs, exp_avg_sqs and steps "
                         f"must have equal lengths, got {count}, {len(grads)}, {len(exp_avgs)}, "
                         f"{len(exp_avg_sqs)} and {len(steps)}")
    if count == 0:
        return
    keep = []   # contiguous copies of gradients, alive until the updates are done
    for i in range(count):
        if not cnp.PyArray_Check(params[i]):
            raise TypeError(f"adam_step_multi: params[{i}] must be a numpy array, got "
                            f"{type(params[i]).__name__}")
        p = <cnp.ndarray>params[i]
        if cnp.PyArray_TYPE(p) != cnp.NPY_FLOAT32 and cnp.PyArray_TYPE(p) != cnp.NPY_FLOAT64:
            raise ValueError(f"adam_step_multi: params[{i}] must be float32 or float64, got {(<object>p).dtype}")
        if i == 0:
            is_f32 = cnp.PyArray_TYPE(p) == cnp.NPY_FLOAT32
        elif is_f32 != (cnp.PyArray_TYPE(p) == cnp.NPY_FLOAT32):
            raise ValueError(f"adam_step_multi: params must share one dtype, params[0] is "
                             f"{params[0].dtype} and params[{i}] is {(<object>p).dtype}")
        problem = _same_layout("params", i, p, p, True)
        if problem is None:
            problem = _same_layout("exp_avgs", i, exp_avgs[i], p, True)
        if problem is None:
            problem = _same_layout("exp_avg_sqs", i, exp_avg_sqs[i], p, True)
        if problem is None:
            g = grads[i]
            problem = _same_layout("grads", i, g, p, False)
            if problem is None and not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>g):
                keep.append(numpy.ascontiguousarray(g))
        if problem is not None:
            raise ValueError("adam_step_multi: " + problem)
        step = steps[i]
        if not step >= 1:
            raise ValueError(f"adam_step_multi: steps[{i}] must be >= 1 (the count after this "
                             f"update), got {step}")
    ts = <_AdamTensor *>malloc(count * sizeof(_AdamTensor))
    if ts == NULL:
        raise MemoryError()
    try:
        c = 0
        for i in range(count):
            g = grads[i]
            if not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>g):
                g = keep[c]
                c += 1
            step = steps[i]
            ts[i].p = cnp.PyArray_DATA(<cnp.ndarray>params[i])
            ts[i].g = cnp.PyArray_DATA(<cnp.ndarray>g)
            ts[i].m = cnp.PyArray_DATA(<cnp.ndarray>exp_avgs[i])
            ts[i].v = cnp.PyArray_DATA(<cnp.ndarray>exp_avg_sqs[i])
            ts[i].n = cnp.PyArray_SIZE(<cnp.ndarray>params[i])
            # the same double-precision scalars adam_step's wrapper computes
            ts[i].step_size = lr / (1.0 - pow(beta1, step))
            ts[i].bias_correction2_sqrt = sqrt(1.0 - pow(beta2, step))
        with nogil:
            for i in range(count):
                t = ts[i]
                if t.n < PARALLEL_MIN_ELEMENTS:
                    # on this thread, without entering an OpenMP region (~1 us even for one thread)
                    _adam_tensor_range(&ts[i], 0, t.n, is_f32, lr, beta1, beta2, eps,
                                       weight_decay, decoupled_weight_decay)
                    continue
                nchunks = (t.n + CHUNK - 1) // CHUNK
                for c in prange(nchunks, schedule='static', num_threads=ag_threads()):
                    start = c * CHUNK
                    _adam_tensor_range(&ts[i], start, min(CHUNK, t.n - start), is_f32, lr, beta1,
                                       beta2, eps, weight_decay, decoupled_weight_decay)
    finally:
        free(ts)


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
