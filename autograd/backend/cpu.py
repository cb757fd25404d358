"""The cpu backend: NumPy arrays, hot kernels from the compiled core (:mod:`autograd._C`).

:class:`CPUBackend` overrides the hot methods of
:class:`~autograd.backend.base.Backend` with wrappers that

1. validate dtypes and shapes (raising ``TypeError``/``ValueError``/``IndexError``
   with the operation's name, never letting a bad input reach a kernel),
2. give the kernel C-contiguous views, copying only when the layout demands it
   (a transposed matrix goes to BLAS with the transpose flag flipped instead),
3. allocate the outputs and call the float32/float64 kernel.

Anything without a kernel (integer matmul, strided elementwise inputs, ...)
falls back to NumPy here, and nowhere else; so do products of fewer than
``_SMALL_GEMM_FLOPS`` multiply-adds, where converting the arguments for a
kernel (~2 µs) costs more than NumPy's whole call.  The elementwise kernels
(ReLU, exp, sigmoid) take their array through NumPy's C API (~0.1 µs), so
they serve every size.

The log-sum-exp that ``cross_entropy_forward`` returns for backward is
float64 for every logits dtype (see there).

Example::

    >>> import numpy as np
    >>> from autograd.backend import get_backend
    >>> cpu = get_backend("cpu")
    >>> x = np.array([[1.0, -2.0], [3.0, 0.5]], dtype=np.float32)
    >>> cpu.relu_forward(x)
    array([[1. , 0. ],
           [3. , 0.5]], dtype=float32)
"""

import math
import operator

import numpy

from .base import Backend
from .. import _C

_F32 = numpy.dtype(numpy.float32)
_F64 = numpy.dtype(numpy.float64)
_ndarray = numpy.ndarray
_I64 = numpy.dtype(numpy.int64)
_INT_MAX = 2**31 - 1  # BLAS dimensions and leading dimensions are C ints
_REDUCTIONS = ("mean", "sum", "none")
# Below these sizes NumPy's own loops beat entering a kernel (argument
# conversion costs ~2 µs): measured on the development machine.  (Sigmoid
# goes to scipy.special.expit below _SMALL_ELEMENTWISE for its subnormal tails.)
_SMALL_ELEMENTWISE = 4096
_SMALL_GEMM_FLOPS = 8192


def _specializations(fused):
    """``{dtype: kernel}`` for a fused-type Cython function (skips per-call dtype dispatch)."""
    return {_F32: fused["float"], _F64: fused["double"]}


_gemm = _specializations(_C.gemm.gemm)
_gemm_batched = _specializations(_C.gemm.gemm_batched)
_relu_backward = _specializations(_C.activations.relu_backward)
_relu_backward_colsum = _specializations(_C.activations.relu_backward_colsum)
_bias_relu_forward = _specializations(_C.activations.bias_relu_forward)
_map_new = _C.activations.map_new
_RELU, _EXP, _SIGMOID = _C.activations.RELU, _C.activations.EXP, _C.activations.SIGMOID
_softmax_forward = _specializations(_C.activations.softmax_forward)
_softmax_backward = _specializations(_C.activations.softmax_backward)
_log_softmax_forward = _specializations(_C.activations.log_softmax_forward)
_log_softmax_backward = _specializations(_C.activations.log_softmax_backward)
_ce_forward = _specializations(_C.losses.cross_entropy_forward)
_ce_backward = _specializations(_C.losses.cross_entropy_backward)
_sgd_step = _specializations(_C.optim.sgd_step)
_adam_step = _specializations(_C.optim.adam_step)
_rmsprop_step = _specializations(_C.optim.rmsprop_step)
_adam_step_multi = _C.optim.adam_step_multi
_check_targets = _C.losses.check_targets
_sum_contiguous = _C.reductions.sum_contiguous


_scipy_special_ufuncs = {}


def _scipy_special(name):
    """A ufunc of scipy.special, imported on first use (the module costs ~0.1 s to import)."""
    ufunc = _scipy_special_ufuncs.get(name)
    if ufunc is None:
        import scipy.special
        ufunc = _scipy_special_ufuncs[name] = getattr(scipy.special, name)
    return ufunc


def _is_kernel_dtype(dtype):
    return dtype == _F32 or dtype == _F64


def _check_array(name, arg, x):
    if not isinstance(x, numpy.ndarray):
        raise TypeError(f"{name}: {arg} must be a numpy.ndarray on the cpu device, "
                        f"got {type(x).__name__}")


def _as_array(name, arg, x):
    """``x`` itself if it is an ndarray; a NumPy scalar (what NumPy returns for 0-d
    results) becomes a 0-d array; anything else raises ``TypeError``."""
    if isinstance(x, numpy.ndarray):
        return x
    if isinstance(x, numpy.generic):
        return numpy.asarray(x)
    _check_array(name, arg, x)


def _check_same_float_dtype(name, a, b):
    """True if both are float32/float64 kernel dtypes and agree; raise on a float mismatch."""
    da, db = a.dtype, b.dtype
    if da == db:
        return _is_kernel_dtype(da)
    if _is_kernel_dtype(da) or _is_kernel_dtype(db):
        raise TypeError(f"{name}: expected both inputs to have the same dtype, got {da} and {db}")
    return False


def _blas_matrix(x, trans):
    """``(view, trans)`` where ``view`` has unit inner stride and a row stride BLAS accepts.

    A C-contiguous (or row-sliced) matrix is used as is; a transposed
    (F-contiguous) one is passed as its transpose with the flag flipped; any
    other layout is copied.
    """
    item = x.itemsize
    rows, cols = x.shape
    s0, s1 = x.strides
    if (s1 == item or cols <= 1) and (rows <= 1 or (s0 >= cols * item and s0 % item == 0)):
        return x, trans
    if (s0 == item or rows <= 1) and (cols <= 1 or (s1 >= rows * item and s1 % item == 0)):
        return x.T, not trans
    return numpy.ascontiguousarray(x), trans


def _blas_batch(x, trans):
    """3-D version of :func:`_blas_matrix`: any batch stride (0 too), BLAS-able matrices."""
    item = x.itemsize
    _, rows, cols = x.shape
    sb, s0, s1 = x.strides
    if sb >= 0 and sb % item == 0:
        if (s1 == item or cols <= 1) and (rows <= 1 or (s0 >= cols * item and s0 % item == 0)):
            return x, trans
        if (s0 == item or rows <= 1) and (cols <= 1 or (s1 >= rows * item and s1 % item == 0)):
            return x.transpose(0, 2, 1), not trans
    return numpy.ascontiguousarray(x), trans


def _gemm_contiguous(a, b, trans_a, trans_b, alpha, bias=None):
    """``CPUBackend.gemm`` into a new array for the common case, with only the checks
    that case needs: two C-contiguous 2-D float32/float64 ndarrays of one dtype
    that align.  ``bias`` (a row of the output's dtype and width) is added (it
    fills the output first and BLAS adds the product, ``beta=1``).  Returns None
    for anything else (the general path then checks, copies and raises)."""
    dtype = a.dtype
    if (dtype is not b.dtype and dtype != b.dtype) or a.ndim != 2 or b.ndim != 2:
        return None
    kernel = _gemm.get(dtype)
    if kernel is None or not (a.flags.c_contiguous and b.flags.c_contiguous):
        return None
    m, k = (a.shape[1], a.shape[0]) if trans_a else a.shape
    k2, n = (b.shape[1], b.shape[0]) if trans_b else b.shape
    if k != k2 or max(m, n, k) > _INT_MAX:
        return None
    work = m * n * k
    if work < _SMALL_GEMM_FLOPS or work == 0:
        if alpha != 1.0 or work == 0:
            return None
        out = numpy.matmul(a.T if trans_a else a, b.T if trans_b else b)
        if bias is not None:
            out += bias
        return out
    out = numpy.empty((m, n), dtype=dtype)
    if bias is not None:
        out[...] = bias
    kernel(a, b, out, trans_a, trans_b, float(alpha), 0.0 if bias is None else 1.0)
    return out


def _check_blas_size(name, *dims):
    for d in dims:
        if d > _INT_MAX:
            raise ValueError(f"{name}: dimension {d} is too large for BLAS (limit {_INT_MAX})")


def _normalize_axis(name, axis, ndim):
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name}: axis must be an int, got {type(axis).__name__}") from None
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise IndexError(f"{name}: axis {axis} is out of range for an array of {ndim} dimensions")
    return axis % max(ndim, 1)


def _rows_view(x):
    """``x`` as a C-contiguous 2-D (rows, last-axis) array, copying only if needed."""
    x = numpy.ascontiguousarray(x)
    if x.ndim == 0:
        return x.reshape(1, 1)
    return x.reshape(-1, x.shape[-1])


def _inplace_operand(name, arg, x, shape, dtype):
    _check_array(name, arg, x)
    if x.dtype != dtype:
        raise ValueError(f"{name}: {arg} must have dtype {dtype}, got {x.dtype}")
    if x.shape != shape:
        raise ValueError(f"{name}: {arg} must have shape {shape}, got {x.shape}")
    if not x.flags.c_contiguous:
        raise ValueError(f"{name}: {arg} must be C-contiguous (it is updated in place)")
    if not x.flags.writeable:
        raise ValueError(f"{name}: {arg} is read-only (it is updated in place)")
    return x.reshape(-1)


def _check_param(name, param):
    _check_array(name, "param", param)
    if not _is_kernel_dtype(param.dtype):
        raise ValueError(f"{name}: param must be float32 or float64, got {param.dtype}")
    return _inplace_operand(name, "param", param, param.shape, param.dtype)


def _read_operand(name, arg, x, shape, dtype):
    """A flat C-contiguous view (or copy) of a read-only operand of the given shape and dtype."""
    x = _as_array(name, arg, x)
    if x.shape != shape:
        raise ValueError(f"{name}: {arg} must have shape {shape}, got {x.shape}")
    if x.dtype != dtype:
        raise ValueError(f"{name}: {arg} must have dtype {dtype}, got {x.dtype}")
    return numpy.ascontiguousarray(x).reshape(-1)


class CPUBackend(Backend):
    """NumPy arrays on the host, float32/float64 hot paths in Cython kernels."""

    name = "cpu"
    xp = numpy

    def broadcast_to(self, x, shape):
        """``numpy.broadcast_to(x, shape)``: a read-only view with zero strides where
        ``x`` is broadcast.  A C-contiguous ``x`` (every gradient of a reduction)
        gets the view built directly, several times faster than NumPy's helper,
        which sets up an iterator; anything else (and every error) goes to NumPy.

        Example::

            >>> cpu.broadcast_to(numpy.ones(3), (2, 3)).strides
            (0, 8)
        """
        shape = tuple(shape)
        lead = len(shape) - x.ndim
        if lead < 0 or not x.flags.c_contiguous or x.size == 0:
            return numpy.broadcast_to(x, shape)
        if 0 in shape[:lead]:
            return numpy.broadcast_to(x, shape)
        strides = [0] * lead
        for size, have, stride in zip(shape[lead:], x.shape, x.strides):
            if have == size:
                strides.append(stride)
            elif have == 1 and size > 0:
                strides.append(0)
            else:
                return numpy.broadcast_to(x, shape)   # raises NumPy's error
        view = numpy.ndarray(shape, x.dtype, x, 0, tuple(strides))
        view.setflags(write=False)
        return view

    # ------------------------------------------------------------------
    # matmul
    # ------------------------------------------------------------------
    def gemm(self, a, b, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, out=None):
        """``out = alpha * op(a) @ op(b) + beta * out`` for 2-D arrays, through BLAS.

        ``op(x)`` is ``x.T`` when the matching flag is set.  Transposed views
        are handed to BLAS with the flag flipped (no copy).  With ``out=None``
        a new C-contiguous array is returned and ``beta`` is ignored.

        Example::

            >>> cpu.gemm(x, w, trans_b=True)          # x @ w.T without copying w.T
        """
        if out is None and type(a) is _ndarray and type(b) is _ndarray:
            result = _gemm_contiguous(a, b, trans_a, trans_b, alpha)
            if result is not None:
                return result
        a = _as_array("gemm", "a", a)
        b = _as_array("gemm", "b", b)
        if a.ndim != 2 or b.ndim != 2:
            raise ValueError(f"gemm: expected 2-D arrays, got shapes {a.shape} and {b.shape}")
        m, k = (a.shape[1], a.shape[0]) if trans_a else a.shape
        k2, n = (b.shape[1], b.shape[0]) if trans_b else b.shape
        if k != k2:
            sa = f"{a.shape}{'.T' if trans_a else ''}"
            sb = f"{b.shape}{'.T' if trans_b else ''}"
            raise ValueError(f"gemm: shapes {sa} and {sb} do not align ({k} != {k2})")
        if out is not None:
            _check_array("gemm", "out", out)
            if out.shape != (m, n):
                raise ValueError(f"gemm: out has shape {out.shape}, expected {(m, n)}")
        if not _check_same_float_dtype("gemm", a, b) or (out is not None and out.dtype != a.dtype):
            return super().gemm(a, b, trans_a, trans_b, alpha, beta, out)
        if out is None and alpha == 1.0 and m * n * k < _SMALL_GEMM_FLOPS:
            return numpy.matmul(a.T if trans_a else a, b.T if trans_b else b)
        dtype = a.dtype
        if out is None:
            beta = 0.0
            result = numpy.empty((m, n), dtype=dtype)
            target = result
        else:
            if not out.flags.writeable:
                raise ValueError("gemm: out is read-only")
            result = out
            # BLAS needs a unit inner stride and must not read what it writes
            if (out.flags.c_contiguous and not numpy.may_share_memory(out, a)
                    and not numpy.may_share_memory(out, b)):
                target = out
            elif beta == 0.0:
                target = numpy.empty((m, n), dtype=dtype)
            else:
                target = numpy.array(out, dtype=dtype, order="C")
        if m == 0 or n == 0:
            return result
        if k == 0:
            if beta == 0.0:
                target.fill(0)
            else:
                target *= beta
        else:
            _check_blas_size("gemm", m, n, k, *a.strides, *b.strides)
            a_view, ta = _blas_matrix(a, trans_a)
            b_view, tb = _blas_matrix(b, trans_b)
            _gemm[dtype](a_view, b_view, target, ta, tb, float(alpha), float(beta))
        if target is not result:
            result[...] = target
        return result

    def matmul(self, a, b):
        """``numpy.matmul`` semantics (1-d, 2-d, batched, broadcast batch dims) through BLAS.

        A stack of matrices times one matrix is a single large gemm; other
        batched products loop gemm over the broadcast batch.  Non-float
        dtypes use ``numpy.matmul``.

        Example::

            >>> cpu.matmul(np.ones((10, 3, 4)), np.ones((4, 5))).shape
            (10, 3, 5)
        """
        a = _as_array("matmul", "a", a)
        b = _as_array("matmul", "b", b)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: both arguments must have at least 1 dimension, "
                             f"got shapes {a.shape} and {b.shape}")
        if not _check_same_float_dtype("matmul", a, b):
            return numpy.matmul(a, b)
        a_vec = a.ndim == 1
        b_vec = b.ndim == 1
        a2 = a[None, :] if a_vec else a
        b2 = b[:, None] if b_vec else b
        m, k = a2.shape[-2:]
        k2, n = b2.shape[-2:]
        if k != k2:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({k} != {k2})")
        if a2.ndim == 2 and b2.ndim == 2:
            out = self.gemm(a2, b2)
        else:
            out = self._batched_matmul(a, b, a2, b2, m, k, n)
        if a_vec and b_vec:
            return out.reshape(())
        if a_vec:
            return out[..., 0, :]
        if b_vec:
            return out[..., 0]
        return out

    def _batched_matmul(self, a, b, a2, b2, m, k, n):
        try:
            batch = numpy.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of shapes {a.shape} and {b.shape} "
                             f"cannot be broadcast together") from None
        dtype = a2.dtype
        if b2.ndim == 2 and a2.shape[:-2] == batch and a2.flags.c_contiguous and a2.size:
            # (..., m, k) @ (k, n): fold the batch into the rows, one large gemm
            out = self.gemm(a2.reshape(-1, k), b2)
            return out.reshape(batch + (m, n))
        out = numpy.empty(batch + (m, n), dtype=dtype)
        if out.size == 0:
            return out
        if k == 0:
            out.fill(0)
            return out
        count = math.prod(batch)
        a3 = numpy.broadcast_to(a2, batch + (m, k)).reshape(count, m, k)
        b3 = numpy.broadcast_to(b2, batch + (k, n)).reshape(count, k, n)
        _check_blas_size("matmul", m, n, k, *a3.strides, *b3.strides)
        a3, ta = _blas_batch(a3, False)
        b3, tb = _blas_batch(b3, False)
        _gemm_batched[dtype](a3, b3, out.reshape(count, m, n), ta, tb, 1.0, 0.0)
        return out

    def linear_forward(self, x, weight, bias=None):
        """``x @ weight.T + bias`` for ``x`` (N, in), ``weight`` (out, in), ``bias`` (out,).

        The bias is broadcast into the output first and BLAS adds the product
        to it (``beta=1``), so there is no second pass.

        Example::

            >>> cpu.linear_forward(x, w, b).shape   # x (64, 784), w (128, 784)
            (64, 128)
        """
        x = _as_array("linear", "x", x)
        weight = _as_array("linear", "weight", weight)
        if x.ndim != 2 or weight.ndim != 2:
            raise ValueError(f"linear: expected 2-D input and weight, got shapes "
                             f"{x.shape} and {weight.shape}")
        if x.shape[1] != weight.shape[1]:
            raise ValueError(f"linear: input shape {x.shape} and weight shape {weight.shape} "
                             f"do not align ({x.shape[1]} != {weight.shape[1]})")
        if bias is None:
            return self.gemm(x, weight, trans_b=True)
        bias = _as_array("linear", "bias", bias)
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"linear: bias must have shape {(weight.shape[0],)}, got {bias.shape}")
        if bias.dtype == x.dtype and type(x) is _ndarray and type(weight) is _ndarray:
            out = _gemm_contiguous(x, weight, False, True, 1.0, bias)   # the common case
            if out is not None:
                return out
        out = numpy.empty((x.shape[0], weight.shape[0]), dtype=numpy.result_type(x, weight, bias))
        out[...] = bias
        return self.gemm(x, weight, trans_b=True, beta=1.0, out=out)

    # ------------------------------------------------------------------
    # reductions
    # ------------------------------------------------------------------
    def sum_all(self, x, dtype=None):
        """The sum of every element of ``x`` as a 0-d array.

        C- or F-contiguous float32/float64 arrays go to the pairwise-sum kernel,
        whose result is ``x.sum()``'s bit for bit (NumPy's order of additions),
        1.5-2x faster at 8192 elements and ~20x cheaper on a few elements;
        everything else, and any ``dtype``, goes to NumPy.
        """
        if dtype is None:
            out = _sum_contiguous(x)
            if out is not None:
                return out
        return numpy.asarray(x.sum(dtype=dtype))

    # ------------------------------------------------------------------
    # activations
    # ------------------------------------------------------------------
    def relu_forward(self, x):
        """``max(x, 0)`` elementwise (NaN stays NaN, as in PyTorch).

        Example::

            >>> cpu.relu_forward(np.array([-1.0, 2.0]))
            array([0., 2.])
        """
        out = _map_new(_RELU, x)        # None unless a C/F-contiguous float32/float64 array
        if out is not None:
            return out
        x = _as_array("relu", "x", x)
        return numpy.maximum(x, numpy.zeros((), dtype=x.dtype))

    def exp_forward(self, x):
        """``e^x`` elementwise: one vectorized pass for C- or F-contiguous float32/float64
        arrays (1.3-3x NumPy's ``exp`` at 8192 elements, half its cost on one element),
        NumPy otherwise.

        The kernel keeps IEEE results at both ends (``inf`` on overflow,
        subnormals, 0, NaN) and is within about 1 ulp (float32) / 2 ulp (float64).

        Example::

            >>> cpu.exp_forward(np.zeros(5000, np.float32))[:2]
            array([1., 1.], dtype=float32)
        """
        out = _map_new(_EXP, x)
        if out is not None:
            return out
        return numpy.exp(_as_array("exp", "x", x))

    def sigmoid_forward(self, x):
        """``1 / (1 + exp(-x))`` elementwise, in one vectorized pass for float32/float64.

        Stable in both tails (``exp`` only sees ``-|x|``); the kernel flushes
        outputs below the smallest normal number to 0.  Arrays under
        ``_SMALL_ELEMENTWISE`` elements go to ``scipy.special.expit`` instead
        (one ufunc call; it keeps those subnormal outputs, as PyTorch does).
        Other dtypes use the generic expression of :meth:`Backend.sigmoid_forward`.

        Example::

            >>> cpu.sigmoid_forward(np.array([0.0, 1000.0, -1000.0]))
            array([0.5, 1. , 0. ])
        """
        x = _as_array("sigmoid", "x", x)
        dtype = x.dtype
        if not _is_kernel_dtype(dtype):
            return super().sigmoid_forward(x)
        if x.size < _SMALL_ELEMENTWISE:
            # scipy.special.expit: one ufunc call that keeps the subnormal tails
            return _scipy_special("expit")(x, out=numpy.empty(x.shape, dtype=dtype))
        out = _map_new(_SIGMOID, x)
        if out is None:               # strided: the kernel reads a C-order copy
            out = _map_new(_SIGMOID, numpy.ascontiguousarray(x))
        return out

    def erf(self, x):
        """The error function elementwise, in ``x``'s dtype (``scipy.special.erf``).

        Example::

            >>> cpu.erf(np.array([0.0, 1.0]))
            array([0.       , 0.84270079])
        """
        x = _as_array("erf", "x", x)
        erf = _scipy_special("erf")
        return erf(x).astype(x.dtype, copy=False)

    def relu_backward(self, grad, x):
        """``grad * (x > 0)`` for ``grad`` and ``x`` of the same shape.

        Example::

            >>> cpu.relu_backward(np.ones(2), np.array([-1.0, 2.0]))
            array([0., 1.])
        """
        grad = _as_array("relu_backward", "grad", grad)
        x = _as_array("relu_backward", "x", x)
        if grad.shape != x.shape:
            raise ValueError(f"relu_backward: grad shape {grad.shape} does not match "
                             f"input shape {x.shape}")
        dtype = x.dtype
        if grad.dtype == dtype and _is_kernel_dtype(dtype):
            if x.flags.c_contiguous and grad.flags.c_contiguous:
                out = numpy.empty(x.shape, dtype=dtype)
                _relu_backward[dtype](grad.reshape(-1), x.reshape(-1), out.reshape(-1))
                return out
            if x.flags.f_contiguous and grad.flags.f_contiguous:
                out = numpy.empty(x.shape, dtype=dtype, order="F")
                _relu_backward[dtype](grad.T.reshape(-1), x.T.reshape(-1), out.T.reshape(-1))
                return out
        return numpy.where(x <= 0, numpy.zeros((), dtype=grad.dtype), grad)

    def relu_backward_bias(self, grad, y):
        """``(g, g.sum(axis=0))`` with ``g = grad * (y > 0)``: one pass for C-contiguous 2-D
        float32/float64 inputs below the threading size, else the two steps.

        Example::

            >>> g, gb = cpu.relu_backward_bias(np.ones((2, 2)), np.array([[1.0, -1.0], [2.0, 3.0]]))
            >>> gb
            array([2., 1.])
        """
        grad = _as_array("relu_backward", "grad", grad)
        y = _as_array("relu_backward", "x", y)
        dtype = y.dtype
        if (grad.ndim == 2 and grad.shape == y.shape and grad.dtype == dtype
                and _is_kernel_dtype(dtype) and grad.flags.c_contiguous and y.flags.c_contiguous
                and grad.size < _C.parallel.get_parallel_thresholds()["elements"]):
            g = numpy.empty(y.shape, dtype=dtype)
            gb = numpy.empty(y.shape[1], dtype=dtype)
            _relu_backward_colsum[dtype](grad, y, g, gb)
            return g, gb
        return super().relu_backward_bias(grad, y)

    def bias_relu_forward(self, x, bias):
        """In place: ``x = max(x + bias, 0)`` for 2-D ``x`` (N, C) and ``bias`` (C,); returns ``x``.

        ``x`` must be C-contiguous and writeable (``ValueError`` otherwise).

        Example::

            >>> h = cpu.linear_forward(x, w)          # fresh (N, C) array
            >>> cpu.bias_relu_forward(h, b) is h
            True
        """
        x = _as_array("bias_relu", "x", x)
        bias = _as_array("bias_relu", "bias", bias)
        if x.ndim != 2 or bias.shape != (x.shape[1],):
            raise ValueError(f"bias_relu: expected x of shape (N, C) and bias of shape (C,), "
                             f"got {x.shape} and {bias.shape}")
        dtype = x.dtype
        if not _is_kernel_dtype(dtype):
            return super().bias_relu_forward(x, bias)
        if bias.dtype != dtype:
            raise ValueError(f"bias_relu: bias dtype {bias.dtype} does not match x dtype {dtype}")
        if not x.flags.c_contiguous:
            raise ValueError("bias_relu: x must be C-contiguous (it is updated in place)")
        if not x.flags.writeable:
            raise ValueError("bias_relu: x is read-only (it is updated in place)")
        _bias_relu_forward[dtype](x, numpy.ascontiguousarray(bias))
        return x

    def _rowwise(self, name, kernels, x, axis):
        """Apply a last-axis row kernel along ``axis`` (moving it last only when it is not)."""
        x = _as_array(name, "x", x)
        dtype = x.dtype
        if not _is_kernel_dtype(dtype):
            raise TypeError(f"{name}: expected a float32 or float64 array, got {dtype}")
        axis = _normalize_axis(name, axis, x.ndim)
        moved = x.ndim > 1 and axis != x.ndim - 1
        if moved:
            x = numpy.moveaxis(x, axis, -1)
        out = numpy.empty(x.shape, dtype=dtype)
        if out.size:
            rows = _rows_view(x)
            kernels[dtype](rows, out.reshape(rows.shape))
        return numpy.moveaxis(out, -1, axis) if moved else out

    def _rowwise_backward(self, name, kernels, grad, y, axis):
        grad = _as_array(name, "grad", grad)
        y = _as_array(name, "y", y)
        if grad.shape != y.shape:
            raise ValueError(f"{name}: grad shape {grad.shape} does not match output shape {y.shape}")
        dtype = y.dtype
        if not _is_kernel_dtype(dtype):
            raise TypeError(f"{name}: expected a float32 or float64 array, got {dtype}")
        if grad.dtype != dtype:
            raise TypeError(f"{name}: grad dtype {grad.dtype} does not match output dtype {dtype}")
        axis = _normalize_axis(name, axis, y.ndim)
        moved = y.ndim > 1 and axis != y.ndim - 1
        if moved:
            grad = numpy.moveaxis(grad, axis, -1)
            y = numpy.moveaxis(y, axis, -1)
        out = numpy.empty(y.shape, dtype=dtype)
        if out.size:
            y_rows = _rows_view(y)
            kernels[dtype](_rows_view(grad), y_rows, out.reshape(y_rows.shape))
        return numpy.moveaxis(out, -1, axis) if moved else out

    def softmax_forward(self, x, axis=-1):
        """Numerically stable softmax along ``axis``: ``exp(x - max) / sum(exp(x - max))``.

        Example::

            >>> cpu.softmax_forward(np.array([[0.0, 0.0]]))
            array([[0.5, 0.5]])
        """
        return self._rowwise("softmax", _softmax_forward, x, axis)

    def softmax_backward(self, grad, y, axis=-1):
        """Gradient of softmax from its output ``y``: ``y * (grad - sum(grad * y, axis))``."""
        return self._rowwise_backward("softmax_backward", _softmax_backward, grad, y, axis)

    def log_softmax_forward(self, x, axis=-1):
        """Numerically stable log-softmax along ``axis``: ``x - max - log(sum(exp(x - max)))``.

        Example::

            >>> cpu.log_softmax_forward(np.array([[0.0, 0.0]]))
            array([[-0.69314718, -0.69314718]])
        """
        return self._rowwise("log_softmax", _log_softmax_forward, x, axis)

    def log_softmax_backward(self, grad, y, axis=-1):
        """Gradient of log-softmax from its output ``y``: ``grad - exp(y) * sum(grad, axis)``."""
        return self._rowwise_backward("log_softmax_backward", _log_softmax_backward, grad, y, axis)

    # ------------------------------------------------------------------
    # cross-entropy
    # ------------------------------------------------------------------
    def check_class_indices(self, target, num_classes, ignore_index):
        """Raise ``IndexError`` if a target (other than ``ignore_index``) is outside [0, C)."""
        target = _as_array("cross_entropy", "target", target)
        if target.dtype.kind not in "iu":
            return super().check_class_indices(target, num_classes, ignore_index)
        self._check_targets(numpy.ascontiguousarray(target.reshape(-1), dtype=_I64),
                            num_classes, ignore_index)

    @staticmethod
    def _check_targets(target, num_classes, ignore_index):
        """One pass over int64 ``target``: raise IndexError for a bad class index, else
        return how many rows are ``ignore_index``."""
        first_bad, ignored = _check_targets(target, num_classes, ignore_index)
        if first_bad >= 0:
            raise IndexError(
                f"cross_entropy: target {int(target[first_bad])} at position {first_bad} is out "
                f"of bounds for {num_classes} classes"
            )
        return ignored

    def _ce_inputs(self, name, logits, target, reduction, ignore_index, label_smoothing):
        logits = _as_array(name, "logits", logits)
        target = _as_array(name, "target", target)
        if logits.ndim != 2:
            raise ValueError(f"{name}: expected logits of shape (N, C), got {logits.shape}")
        if not _is_kernel_dtype(logits.dtype):
            raise TypeError(f"{name}: logits must be float32 or float64, got {logits.dtype}")
        if target.dtype.kind not in "iu":
            raise TypeError(f"{name}: target must be an integer array of class indices, "
                            f"got {target.dtype}")
        n, c = logits.shape
        if target.shape != (n,):
            raise ValueError(f"{name}: target shape {target.shape} does not match logits "
                             f"shape {logits.shape} (expected ({n},))")
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        label_smoothing = float(label_smoothing)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"{name}: label_smoothing must be between 0.0 and 1.0, "
                             f"got {label_smoothing}")
        ignore_index = operator.index(ignore_index)
        if c == 0 and n > 0:
            raise ValueError(f"{name}: logits of shape {logits.shape} have no classes")
        if target.dtype.kind == "u" and n and int(target.max()) > numpy.iinfo(_I64).max:
            raise IndexError(f"{name}: target {int(target.max())} is out of bounds for {c} classes")
        target = numpy.ascontiguousarray(target, dtype=_I64)
        ignored = self._check_targets(target, c, ignore_index)
        return numpy.ascontiguousarray(logits), target, n, c, ignore_index, label_smoothing, ignored

    def cross_entropy_forward(self, logits, target, reduction="mean", ignore_index=-100,
                              label_smoothing=0.0):
        """Cross-entropy of ``logits`` (N, C) against class indices ``target`` (N,).

        Returns ``(loss, lse)`` (see :meth:`Backend.cross_entropy_forward`);
        one pass per row computes the log-sum-exp and the (smoothed) NLL.
        ``lse`` is float64 even for float32 logits: backward recomputes
        ``exp(x - lse)`` from it, and a float32 ``lse`` near 1e4 would be off
        by ~1e-3.
        Out-of-range targets raise ``IndexError`` before any kernel runs.

        Example::

            >>> loss, lse = cpu.cross_entropy_forward(np.zeros((2, 4)), np.array([1, 3]))
            >>> float(loss)     # log(4)
            1.3862943611198906
        """
        logits, target, n, c, ignore_index, ls, ignored = self._ce_inputs(
            "cross_entropy", logits, target, reduction, ignore_index, label_smoothing)
        dtype = logits.dtype
        lse = numpy.empty((n,), dtype=_F64)
        if n == 0:
            if reduction == "none":
                return numpy.empty((0,), dtype=dtype), lse
            return numpy.asarray(0.0 if reduction == "sum" else float("nan"), dtype=dtype), lse
        per_row = numpy.empty((n,), dtype=dtype)
        _ce_forward[dtype](logits, target, per_row, lse, ignore_index, ls)
        if reduction == "none":
            return per_row, lse
        total = per_row.sum(dtype=dtype)
        if reduction == "sum":
            return numpy.asarray(total, dtype=dtype), lse
        count = n - ignored
        return numpy.asarray(total / count if count else float("nan"), dtype=dtype), lse

    def cross_entropy_backward(self, grad, logits, target, lse, reduction="mean",
                               ignore_index=-100, label_smoothing=0.0):
        """Gradient w.r.t. ``logits`` of :meth:`cross_entropy_forward`, in one pass per row.

        ``grad`` is 0-d for ``"mean"``/``"sum"`` and (N,) for ``"none"``; each
        row is ``scale * (softmax - (1 - ls) * onehot - ls / C)``.
        """
        logits, target, n, c, ignore_index, ls, ignored = self._ce_inputs(
            "cross_entropy_backward", logits, target, reduction, ignore_index, label_smoothing)
        dtype = logits.dtype
        grad = _as_array("cross_entropy_backward", "grad", grad)
        expected = (n,) if reduction == "none" else ()
        if grad.shape != expected:
            raise ValueError(f"cross_entropy_backward: grad must have shape {expected} for "
                             f"reduction={reduction!r}, got {grad.shape}")
        lse = _as_array("cross_entropy_backward", "lse", lse)
        if lse.shape != (n,):
            raise ValueError(f"cross_entropy_backward: lse must have shape {(n,)}, got {lse.shape}")
        lse = numpy.ascontiguousarray(lse, dtype=_F64)
        out = numpy.empty((n, c), dtype=dtype)
        if n == 0:
            return out
        scale = numpy.empty((n,), dtype=dtype)
        scale[...] = grad
        count = n - ignored
        if ignored:
            scale[target == ignore_index] = 0
        if reduction == "mean":
            # every row ignored: the loss is 0/0 = NaN, but PyTorch's gradient is 0
            # (scale is already 0 on ignored rows, so there is nothing to divide)
            if count:
                scale *= 1.0 / count
        _ce_backward[dtype](logits, target, lse, scale, out, ignore_index, ls)
        return out

    # ------------------------------------------------------------------
    # optimizer updates (in place)
    # ------------------------------------------------------------------
    def sgd_step(self, param, grad, momentum_buffer, lr, momentum=0.0, dampening=0.0,
                 weight_decay=0.0, nesterov=False, first_step=False):
        """One ``torch.optim.SGD`` update of ``param`` in place, in one pass.

        ``param`` (and ``momentum_buffer`` when ``momentum != 0``) must be
        C-contiguous, writeable, of ``param``'s float dtype and shape
        (``ValueError`` otherwise).

        Example::

            >>> cpu.sgd_step(p, g, buf, lr=0.1, momentum=0.9, first_step=True)
        """
        flat_p = _check_param("sgd_step", param)
        flat_g = _read_operand("sgd_step", "grad", grad, param.shape, param.dtype)
        if momentum != 0.0:
            if momentum_buffer is None:
                raise ValueError("sgd_step: momentum_buffer is required when momentum != 0")
            flat_b = _inplace_operand("sgd_step", "momentum_buffer", momentum_buffer,
                                      param.shape, param.dtype)
        else:
            flat_b = flat_p  # not touched by the kernel
        _sgd_step[param.dtype](flat_p, flat_g, flat_b, float(lr), float(momentum),
                               float(dampening), float(weight_decay), bool(nesterov),
                               bool(first_step))
        return param

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, step, lr, beta1=0.9, beta2=0.999,
                  eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
        """One Adam (AdamW with ``decoupled_weight_decay``) update in place, in one pass.

        ``step`` is the 1-based count after this update.  The arithmetic is
        ``torch.optim.Adam``'s single-tensor path (see :meth:`Backend.adam_step`).

        Example::

            >>> cpu.adam_step(p, g, m, v, step=1, lr=1e-3)
        """
        flat_p = _check_param("adam_step", param)
        flat_g = _read_operand("adam_step", "grad", grad, param.shape, param.dtype)
        flat_m = _inplace_operand("adam_step", "exp_avg", exp_avg, param.shape, param.dtype)
        flat_v = _inplace_operand("adam_step", "exp_avg_sq", exp_avg_sq, param.shape, param.dtype)
        if step < 1:
            raise ValueError(f"adam_step: step must be >= 1 (the count after this update), got {step}")
        lr = float(lr)
        weight_decay = float(weight_decay)
        bias_correction1 = 1.0 - beta1 ** step
        bias_correction2 = 1.0 - beta2 ** step
        _adam_step[param.dtype](flat_p, flat_g, flat_m, flat_v, float(beta1), float(beta2),
                                lr / bias_correction1, math.sqrt(bias_correction2), float(eps),
                                weight_decay, 1.0 - lr * weight_decay,
                                bool(decoupled_weight_decay))
        return param

    def adam_steps(self, params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1=0.9, beta2=0.999,
                   eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
        """:meth:`adam_step` for several parameters in one kernel call (checked first).

        Example::

            >>> cpu.adam_steps([w, b], [gw, gb], [mw, mb], [vw, vb], [3.0, 3.0], lr=1e-3)
        """
        _adam_step_multi(list(params), list(grads), list(exp_avgs), list(exp_avg_sqs),
                         [float(s) for s in steps], float(lr), float(beta1), float(beta2),
                         float(eps), float(weight_decay), bool(decoupled_weight_decay))

    def rmsprop_step(self, param, grad, square_avg, lr, alpha=0.99, eps=1e-8, weight_decay=0.0,
                     momentum=0.0, centered=False, momentum_buffer=None, grad_avg=None):
        """One ``torch.optim.RMSprop`` update in place, in one pass.

        ``momentum_buffer`` is required when ``momentum > 0`` and ``grad_avg``
        when ``centered``.

        Example::

            >>> cpu.rmsprop_step(p, g, sq, lr=1e-2)
        """
        flat_p = _check_param("rmsprop_step", param)
        flat_g = _read_operand("rmsprop_step", "grad", grad, param.shape, param.dtype)
        flat_s = _inplace_operand("rmsprop_step", "square_avg", square_avg, param.shape, param.dtype)
        if momentum > 0.0:
            if momentum_buffer is None:
                raise ValueError("rmsprop_step: momentum_buffer is required when momentum > 0")
            flat_b = _inplace_operand("rmsprop_step", "momentum_buffer", momentum_buffer,
                                      param.shape, param.dtype)
        else:
            flat_b = flat_s
        if centered:
            if grad_avg is None:
                raise ValueError("rmsprop_step: grad_avg is required when centered=True")
            flat_a = _inplace_operand("rmsprop_step", "grad_avg", grad_avg, param.shape, param.dtype)
        else:
            flat_a = flat_s
        _rmsprop_step[param.dtype](flat_p, flat_g, flat_s, flat_b, flat_a, float(lr),
                                   float(alpha), float(eps), float(weight_decay),
                                   float(momentum), bool(centered))
        return param
