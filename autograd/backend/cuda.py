"""The cuda backend: CuPy arrays, cuBLAS matmul and fused CUDA kernels.

``device="cuda"`` tensors hold ``cupy.ndarray`` objects.  This module is
only imported when the cuda device is first used (the registry in
:mod:`autograd.backend` makes the backend lazily), so ``import autograd``
works without CuPy; asking for the device without CuPy or without a GPU
raises ``RuntimeError`` saying what to install.

Kernels (the same table as the cpu backend, see
:class:`~autograd.backend.base.Backend` for the arithmetic):

* ``gemm`` through ``cupy.cublas.gemm``, which passes the transpose flags
  and ``alpha``/``beta`` straight to cuBLAS (row-major outputs through the
  transpose trick, no transposed copies); ``matmul`` is ``cupy.matmul``.
  Like PyTorch's default (``allow_tf32=False``), float32 gemm runs in full
  float32 unless CuPy is told otherwise (``CUPY_TF32=1``).
* ElementwiseKernels: ReLU forward/backward, bias+ReLU in place, and the
  SGD, Adam/AdamW and RMSprop updates in place (one kernel each).
* RawKernels, one thread block per row with shared-memory reductions:
  softmax and log-softmax forward/backward over the last axis, the
  cross-entropy forward (per-row log-sum-exp and loss) and backward
  (softmax - one-hot, scaled).  A row that fits in shared memory is read from
  global memory once.

Anything else (other axes, dtypes other than float32/float64, empty
arrays) falls back to the generic CuPy expressions of the base class.

Example::

    >>> from autograd.backend import get_backend
    >>> cuda = get_backend("cuda")                  # doctest: +SKIP
    >>> x = cuda.from_numpy(numpy.ones((2, 3), numpy.float32))  # doctest: +SKIP
    >>> cuda.to_numpy(cuda.softmax_forward(x))      # doctest: +SKIP
"""

import string

import numpy

from .base import Backend

INSTALL_HINT = ("install CuPy for your CUDA version: pip install cupy-cuda12x "
                "(or the 'gpu' extra: pip install autograd[gpu])")

_FLOAT_TYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))

# A row is cached in shared memory when it fits in this many bytes (kept under
# the 48 KiB a block may use without an opt-in attribute).
_ROW_CACHE_BYTES = 40 * 1024


def _import_cupy():
    try:
        import cupy
    except Exception as exc:
        raise RuntimeError(
            f"CUDA device requested but CuPy could not be imported ({type(exc).__name__}: "
            f"{exc}); {INSTALL_HINT}"
        ) from exc
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:
        raise RuntimeError(
            f"CUDA device requested but CuPy found no usable GPU ({type(exc).__name__}: {exc}); "
            f"device='cuda' needs an NVIDIA GPU with its driver, and {INSTALL_HINT}"
        ) from exc
    if count <= 0:
        raise RuntimeError(
            "CUDA device requested but no CUDA device is visible (getDeviceCount() == 0); "
            f"device='cuda' needs an NVIDIA GPU with its driver, and {INSTALL_HINT}"
        )
    return cupy


# ----------------------------------------------------------------------
# CUDA source of the row kernels (one block per row).  ${T} is float or
# double; ${EXP}/${LOG} the matching math functions; ${NEG_INF} -infinity.
# ----------------------------------------------------------------------
_ROW_KERNELS_SOURCE = string.Template(r"""
#define WARP 32

__device__ __forceinline__ ${T} nan_max(${T} a, ${T} b) {
    // max that propagates NaN, like numpy.max and torch.max
    return (a != a || a > b) ? a : b;
}

__device__ __forceinline__ ${T} warp_max(${T} v) {
    for (int offset = WARP / 2; offset > 0; offset >>= 1)
        v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

__device__ __forceinline__ ${T} warp_sum(${T} v) {
    for (int offset = WARP / 2; offset > 0; offset >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// Block-wide reductions; blockDim.x is a multiple of 32.  Every thread gets
// the result.  `scratch` holds one value per warp.
__device__ ${T} block_max(${T} v, ${T}* scratch) {
    const int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    const int n_warps = blockDim.x / WARP;
    v = warp_max(v);
    __syncthreads();                       // scratch may still be read from a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = (lane < n_warps) ? scratch[lane] : ${NEG_INF};
    return warp_max(v);
}

__device__ ${T} block_sum(${T} v, ${T}* scratch) {
    const int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    const int n_warps = blockDim.x / WARP;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = (lane < n_warps) ? scratch[lane] : (${T})0;
    return warp_sum(v);
}

// y = softmax(x) (log_softmax when `log_output`) over each row of a C-contiguous
// (rows, cols) array.  With `cache_row`, the row is kept in dynamic shared
// memory so global memory is read once.
extern "C" __global__ void ag_softmax_forward_${SUFFIX}(
        const ${T}* __restrict__ x, ${T}* __restrict__ y,
        long long cols, int log_output, int cache_row) {
    extern __shared__ __align__(16) unsigned char row_cache_raw[];
    __shared__ ${T} scratch[WARP];
    ${T}* row_cache = reinterpret_cast<${T}*>(row_cache_raw);
    const long long row = blockIdx.x;
    const ${T}* xr = x + row * cols;
    ${T}* yr = y + row * cols;

    ${T} m = ${NEG_INF};
    for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
        ${T} v = xr[j];
        if (cache_row) row_cache[j] = v;
        m = nan_max(m, v);
    }
    m = block_max(m, scratch);
    const ${T}* src = cache_row ? row_cache : xr;   // each thread re-reads only its own items

    ${T} s = 0;
    for (long long j = threadIdx.x; j < cols; j += blockDim.x)
        s += ${EXP}(src[j] - m);
    s = block_sum(s, scratch);

    if (log_output) {
        const ${T} log_s = ${LOG}(s);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            yr[j] = (src[j] - m) - log_s;
    } else {
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            yr[j] = ${EXP}(src[j] - m) / s;
    }
}

// Backward of softmax (dx = y * (g - sum(g * y))) or, with `log_output`, of
// log_softmax (dx = g - exp(y) * sum(g)), given the forward output y.
extern "C" __global__ void ag_softmax_backward_${SUFFIX}(
        const ${T}* __restrict__ g, const ${T}* __restrict__ y, ${T}* __restrict__ dx,
        long long cols, int log_output, int cache_row) {
    extern __shared__ __align__(16) unsigned char row_cache_raw[];
    __shared__ ${T} scratch[WARP];
    ${T}* g_cache = reinterpret_cast<${T}*>(row_cache_raw);
    ${T}* y_cache = g_cache + cols;          // used by softmax only
    const long long row = blockIdx.x;
    const ${T}* gr = g + row * cols;
    const ${T}* yr = y + row * cols;
    ${T}* dxr = dx + row * cols;

    ${T} s = 0;
    if (log_output) {
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            ${T} gv = gr[j];
            if (cache_row) g_cache[j] = gv;
            s += gv;
        }
    } else {
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            ${T} gv = gr[j], yv = yr[j];
            if (cache_row) { g_cache[j] = gv; y_cache[j] = yv; }
            s += gv * yv;
        }
    }
    s = block_sum(s, scratch);

    const ${T}* gsrc = cache_row ? g_cache : gr;
    if (log_output) {
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            dxr[j] = gsrc[j] - ${EXP}(yr[j]) * s;
    } else {
        const ${T}* ysrc = cache_row ? y_cache : yr;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            dxr[j] = ysrc[j] * (gsrc[j] - s);
    }
}

// Cross-entropy forward from logits: per row lse = logsumexp(x) and
//   loss = (1 - ls) * (lse - x[t]) + ls * (lse - mean(x)),  0 where t == ignore_index.
// Targets were validated on the host side before the launch.
extern "C" __global__ void ag_cross_entropy_forward_${SUFFIX}(
        const ${T}* __restrict__ x, const long long* __restrict__ target,
        ${T}* __restrict__ loss, ${T}* __restrict__ lse_out,
        long long cols, long long ignore_index, ${T} label_smoothing, int cache_row) {
    extern __shared__ __align__(16) unsigned char row_cache_raw[];
    __shared__ ${T} scratch[WARP];
    ${T}* row_cache = reinterpret_cast<${T}*>(row_cache_raw);
    const long long row = blockIdx.x;
    const ${T}* xr = x + row * cols;

    ${T} m = ${NEG_INF};
    ${T} total = 0;
    for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
        ${T} v = xr[j];
        if (cache_row) row_cache[j] = v;
        m = nan_max(m, v);
        total += v;
    }
    m = block_max(m, scratch);
    if (label_smoothing > (${T})0) total = block_sum(total, scratch);
    const ${T}* src = cache_row ? row_cache : xr;

    ${T} s = 0;
    for (long long j = threadIdx.x; j < cols; j += blockDim.x)
        s += ${EXP}(src[j] - m);
    s = block_sum(s, scratch);

    if (threadIdx.x == 0) {
        const ${T} lse = m + ${LOG}(s);
        lse_out[row] = lse;
        const long long t = target[row];
        if (t == ignore_index) {
            loss[row] = (${T})0;
        } else {
            ${T} value = lse - xr[t];
            if (label_smoothing > (${T})0) {
                const ${T} smooth = lse - total / (${T})cols;
                value = ((${T})1 - label_smoothing) * value + label_smoothing * smooth;
            }
            loss[row] = value;
        }
    }
}

// Cross-entropy backward: per element of row r,
//   dx = scale_r * (exp(x - lse_r) - (1 - ls) * [j == t_r] - ls / C),
// scale_r = grad (per row for "none") / count (for "mean"); 0 on ignored rows.
// One block per row, so no per-element index division.
extern "C" __global__ void ag_cross_entropy_backward_${SUFFIX}(
        const ${T}* __restrict__ x, const long long* __restrict__ target,
        const ${T}* __restrict__ lse, const ${T}* __restrict__ grad,
        const ${T}* __restrict__ count, ${T}* __restrict__ dx,
        long long cols, long long ignore_index, int grad_per_row, int divide,
        ${T} one_minus_ls, ${T} ls_over_c) {
    const long long row = blockIdx.x;
    const ${T}* xr = x + row * cols;
    ${T}* dxr = dx + row * cols;
    const long long t = target[row];
    if (t == ignore_index) {
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) dxr[j] = (${T})0;
        return;
    }
    ${T} scale = grad[grad_per_row ? row : 0];
    if (divide) scale = scale / count[0];
    const ${T} l = lse[row];
    for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
        ${T} v = ${EXP}(xr[j] - l);
        if (j == t) v -= one_minus_ls;
        v -= ls_over_c;
        dxr[j] = scale * v;
    }
}
""")

_ROW_KERNEL_TYPES = {
    numpy.dtype(numpy.float32): dict(T="float", SUFFIX="f32", EXP="expf", LOG="logf",
                                     NEG_INF="__int_as_float(0xff800000)"),
    numpy.dtype(numpy.float64): dict(T="double", SUFFIX="f64", EXP="exp", LOG="log",
                                     NEG_INF="__longlong_as_double(0xfff0000000000000ULL)"),
}


def row_kernels_source(dtype):
    """The CUDA source of the row kernels for ``dtype`` (float32 or float64)."""
    return _ROW_KERNELS_SOURCE.substitute(_ROW_KERNEL_TYPES[numpy.dtype(dtype)])


# ----------------------------------------------------------------------
# ElementwiseKernel definitions: (in_params, out_params, body, name).  T is
# the array dtype; scalars are passed already cast to it, so float32 updates
# run in float32 arithmetic as PyTorch's do.
# ----------------------------------------------------------------------
ELEMENTWISE_KERNELS = {
    "relu_forward": (
        "T x", "T y",
        "y = x < (T)0 ? (T)0 : x",   # NaN stays NaN, like torch.relu
        "ag_relu_forward"),
    "relu_backward": (
        "T g, T x", "T dx",
        "dx = x <= (T)0 ? (T)0 : g",   # torch's threshold_backward (NaN passes)
        "ag_relu_backward"),
    "bias_relu_forward": (
        "T bias", "T x",
        "T v = x + bias; x = v < (T)0 ? (T)0 : v",
        "ag_bias_relu_forward"),
    "sgd_step": (
        "T grad, T lr, T weight_decay",
        "T param",
        """
        T d_p = grad;
        if (weight_decay != (T)0) d_p = d_p + weight_decay * param;
        param = param - lr * d_p;
        """,
        "ag_sgd_step"),
    "sgd_momentum_step": (
        "T grad, T lr, T momentum, T one_minus_dampening, T weight_decay, int32 nesterov, "
        "int32 first_step",
        "T param, T buf",
        """
        T d_p = grad;
        if (weight_decay != (T)0) d_p = d_p + weight_decay * param;
        if (first_step) buf = d_p;
        else buf = buf * momentum + one_minus_dampening * d_p;
        d_p = nesterov ? d_p + momentum * buf : buf;
        param = param - lr * d_p;
        """,
        "ag_sgd_momentum_step"),
    "adam_step": (
        "T grad, T weight_decay, T decay_scale, int32 decoupled, T beta1, T one_minus_beta1, "
        "T beta2, T one_minus_beta2, T step_size, T bias_correction2_sqrt, T eps",
        "T param, T exp_avg, T exp_avg_sq",
        """
        T g = grad;
        T p = param;
        if (weight_decay != (T)0) {
            if (decoupled) p = p * decay_scale;
            else g = g + weight_decay * p;
        }
        T m = exp_avg * beta1 + one_minus_beta1 * g;
        T v = exp_avg_sq * beta2 + one_minus_beta2 * g * g;
        exp_avg = m;
        exp_avg_sq = v;
        param = p - step_size * m / (sqrt(v) / bias_correction2_sqrt + eps);
        """,
        "ag_adam_step"),
}

# ReductionKernel definitions: (in, out, map, reduce, post_map, identity, name, reduce_type);
# reduce_type None means the output's type, as in CuPy's documented examples.
_BAD_TARGET = 1 << 40      # added per out-of-range target; more rows than this never fit
REDUCTION_KERNELS = {
    "check_and_count_targets": (
        "int64 t, int64 num_classes, int64 ignore_index", "int64 total",
        "(t == ignore_index) ? 0LL : ((t < 0 || t >= num_classes) ? (1LL << 40) : 1LL)",
        "a + b", "total = a", "0", "ag_check_and_count_targets", None),
    "sum_divide": (
        "T x, T divisor", "T y", "x", "a + b", "y = a / divisor", "0", "ag_sum_divide", None),
}


def rmsprop_kernel_definition(centered, use_momentum):
    """ElementwiseKernel definition ``(in, out, body, name)`` of one RMSprop variant."""
    outs = ["T param", "T square_avg"]
    body = [
        "T g = grad;",
        "if (weight_decay != (T)0) g = g + weight_decay * param;",
        "T sq = square_avg * alpha + one_minus_alpha * g * g;",
        "square_avg = sq;",
    ]
    if centered:
        outs.append("T grad_avg")
        body += ["T ga = grad_avg * alpha + one_minus_alpha * g;",
                 "grad_avg = ga;",
                 "T avg = sqrt(sq - ga * ga) + eps;"]
    else:
        body.append("T avg = sqrt(sq) + eps;")
    if use_momentum:
        outs.append("T momentum_buffer")
        body += ["T b = momentum_buffer * momentum + g / avg;",
                 "momentum_buffer = b;",
                 "param = param - lr * b;"]
    else:
        body.append("param = param - lr * g / avg;")
    name = f"ag_rmsprop_step_c{int(bool(centered))}_m{int(bool(use_momentum))}"
    return ("T grad, T lr, T alpha, T one_minus_alpha, T eps, T weight_decay, T momentum",
            ", ".join(outs), "\n".join(body), name)


def _block_size(cols):
    """Threads per row block: a power of two in [32, 1024], ~4 items per thread."""
    threads = 32
    while threads < 1024 and threads * 4 < cols:
        threads *= 2
    return threads


class CUDABackend(Backend):
    """Backend of ``device="cuda"``: CuPy arrays and fused CUDA kernels.

    Raises ``RuntimeError`` on construction when CuPy is missing or sees no
    GPU, with the command that installs CuPy.
    """

    name = "cuda"

    def __init__(self, cupy_module=None):
        # ``cupy_module`` lets the tests drive this class with a stand-in for CuPy
        # (tests/device_util.py) to check the Python side on machines without a GPU.
        cupy = _import_cupy() if cupy_module is None else cupy_module
        self.xp = cupy
        self._cupy = cupy
        cublas = getattr(cupy, "cublas", None)
        if cublas is None:
            try:
                import cupy.cublas as cublas
            except Exception:  # very old CuPy: matmul only
                cublas = None
        self._cublas = cublas
        self._elementwise = {}
        self._row_kernels = {}

    # ------------------------------------------------------------------
    # arrays and transfers
    # ------------------------------------------------------------------
    def from_numpy(self, array):
        """Copy a host array onto the current GPU (``cupy.asarray``)."""
        return self._cupy.asarray(array)

    def to_numpy(self, array):
        """Copy a device array to a new host ``numpy.ndarray`` (``cupy.asnumpy``)."""
        return self._cupy.asnumpy(array)

    def is_array(self, obj):
        return isinstance(obj, self._cupy.ndarray)

    def synchronize(self):
        """Block until all work queued on the current device has finished."""
        self._cupy.cuda.Device().synchronize()

    # ------------------------------------------------------------------
    # compiled kernels (built on first use, cached per backend)
    # ------------------------------------------------------------------
    def _kernel(self, key, definition=None):
        kernel = self._elementwise.get(key)
        if kernel is None:
            in_params, out_params, body, name = definition or ELEMENTWISE_KERNELS[key]
            kernel = self._cupy.ElementwiseKernel(in_params, out_params, body, name)
            self._elementwise[key] = kernel
        return kernel

    def _row_kernel(self, name, dtype):
        key = (name, dtype)
        kernel = self._row_kernels.get(key)
        if kernel is None:
            suffix = _ROW_KERNEL_TYPES[dtype]["SUFFIX"]
            module = self._row_kernels.get(("module", dtype))
            if module is None:
                module = self._cupy.RawModule(code=row_kernels_source(dtype))
                self._row_kernels[("module", dtype)] = module
            kernel = module.get_function(f"ag_{name}_{suffix}")
            self._row_kernels[key] = kernel
        return kernel

    @staticmethod
    def _is_float(*arrays):
        dtype = arrays[0].dtype
        return dtype in _FLOAT_TYPES and all(a.dtype == dtype for a in arrays)

    # ------------------------------------------------------------------
    # matmul
    # ------------------------------------------------------------------
    def gemm(self, a, b, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, out=None):
        """``out = alpha * op(a) @ op(b) + beta * out`` through cuBLAS, transposes as flags."""
        if (self._cublas is None or a.ndim != 2 or b.ndim != 2 or not self._is_float(a, b)
                or (out is not None and (out.dtype != a.dtype or not out.flags.c_contiguous))):
            return super().gemm(a, b, trans_a, trans_b, alpha, beta, out)
        m, k = (a.shape[1], a.shape[0]) if trans_a else a.shape
        k2, n = (b.shape[1], b.shape[0]) if trans_b else b.shape
        if k != k2:
            raise ValueError(f"gemm: shapes {a.shape}{'.T' if trans_a else ''} and "
                             f"{b.shape}{'.T' if trans_b else ''} do not align ({k} != {k2})")
        if out is not None and out.shape != (m, n):
            raise ValueError(f"gemm: out has shape {out.shape}, expected {(m, n)}")
        if m == 0 or n == 0 or k == 0:
            # cuBLAS rejects zero leading dimensions; the generic path is exact here
            return super().gemm(a, b, trans_a, trans_b, alpha, beta, out)
        if out is None:
            out = self._cupy.empty((m, n), dtype=a.dtype)
            beta = 0.0
        return self._cublas.gemm("T" if trans_a else "N", "T" if trans_b else "N", a, b,
                                 out=out, alpha=float(alpha), beta=float(beta))

    def matmul(self, a, b):
        """``cupy.matmul`` (cuBLAS; batched and broadcast like ``numpy.matmul``)."""
        return self._cupy.matmul(a, b)

    def linear_forward(self, x, weight, bias=None):
        """``x @ weight.T + bias``: bias broadcast into the output, then gemm with ``beta=1``."""
        if bias is None or x.ndim != 2 or not self._is_float(x, weight, bias):
            return super().linear_forward(x, weight, bias)
        out = self._cupy.empty((x.shape[0], weight.shape[0]), dtype=x.dtype)
        out[...] = bias
        return self.gemm(x, weight, trans_b=True, beta=1.0, out=out)

    # ------------------------------------------------------------------
    # activations
    # ------------------------------------------------------------------
    def relu_forward(self, x):
        if x.dtype.kind not in "fi":
            return super().relu_forward(x)
        return self._kernel("relu_forward")(x)

    def erf(self, x):
        """``cupyx.scipy.special.erf`` (an elementwise CUDA kernel), in ``x``'s dtype."""
        special = self._special()
        if special is None:   # a CuPy stand-in without cupyx: the generic ufunc path
            return super().erf(x)
        return special.erf(x).astype(x.dtype, copy=False)

    def _special(self):
        special = getattr(self, "_special_module", False)
        if special is False:
            special = None
            if getattr(self._cupy, "__name__", "") == "cupy":
                try:
                    import cupyx.scipy.special as special
                except ImportError:
                    special = None
            self._special_module = special
        return special

    def relu_backward(self, grad, x):
        if grad.dtype != x.dtype or grad.dtype.kind != "f" or grad.shape != x.shape:
            return super().relu_backward(grad, x)
        return self._kernel("relu_backward")(grad, x)

    def bias_relu_forward(self, x, bias):
        if not self._is_float(x, bias) or x.ndim != 2 or bias.shape != (x.shape[1],):
            return super().bias_relu_forward(x, bias)
        self._kernel("bias_relu_forward")(bias, x)
        return x

    def _as_rows(self, x, axis):
        """A C-contiguous 2-D (rows, cols) view of ``x`` reduced over the last axis, or None."""
        if x.ndim == 0 or x.size == 0 or x.dtype not in _FLOAT_TYPES:
            return None
        if axis % x.ndim != x.ndim - 1:
            return None
        cols = x.shape[-1]
        return self._cupy.ascontiguousarray(x).reshape(-1, cols)

    def _launch_rows(self, name, dtype, rows, cols, args, cached_arrays):
        kernel = self._row_kernel(name, dtype)
        cache_bytes = cached_arrays * cols * dtype.itemsize
        cache_row = cache_bytes <= _ROW_CACHE_BYTES
        args = args + (numpy.int32(1 if cache_row else 0),)
        kernel((rows,), (_block_size(cols),), args,
               shared_mem=cache_bytes if cache_row else 0)

    def _softmax_forward(self, x, axis, log_output):
        x2 = self._as_rows(x, axis)
        if x2 is None:
            return None
        rows, cols = x2.shape
        y = self._cupy.empty_like(x2)
        self._launch_rows("softmax_forward", x2.dtype, rows, cols,
                          (x2, y, numpy.int64(cols), numpy.int32(log_output)), 1)
        return y.reshape(x.shape)

    def _softmax_backward(self, grad, y, axis, log_output):
        if grad.shape != y.shape or grad.dtype != y.dtype:
            return None
        g2 = self._as_rows(grad, axis)
        y2 = self._as_rows(y, axis)
        if g2 is None or y2 is None:
            return None
        rows, cols = y2.shape
        dx = self._cupy.empty_like(y2)
        self._launch_rows("softmax_backward", y2.dtype, rows, cols,
                          (g2, y2, dx, numpy.int64(cols), numpy.int32(log_output)),
                          1 if log_output else 2)
        return dx.reshape(y.shape)

    def softmax_forward(self, x, axis=-1):
        y = self._softmax_forward(x, axis, 0)
        return super().softmax_forward(x, axis) if y is None else y

    def log_softmax_forward(self, x, axis=-1):
        y = self._softmax_forward(x, axis, 1)
        return super().log_softmax_forward(x, axis) if y is None else y

    def softmax_backward(self, grad, y, axis=-1):
        dx = self._softmax_backward(grad, y, axis, 0)
        return super().softmax_backward(grad, y, axis) if dx is None else dx

    def log_softmax_backward(self, grad, y, axis=-1):
        dx = self._softmax_backward(grad, y, axis, 1)
        return super().log_softmax_backward(grad, y, axis) if dx is None else dx

    # ------------------------------------------------------------------
    # cross-entropy
    # ------------------------------------------------------------------
    def _reduction_kernel(self, key):
        kernel = self._elementwise.get(key)
        if kernel is None:
            kernel = self._cupy.ReductionKernel(*REDUCTION_KERNELS[key][:-1],
                                                reduce_type=REDUCTION_KERNELS[key][-1])
            self._elementwise[key] = kernel
        return kernel

    def _count_valid_targets(self, target, num_classes, ignore_index):
        """Rows whose target is not ``ignore_index``, read back once; IndexError on a bad target.

        One fused reduction and one host sync do both the validation and the
        count the ``"mean"`` reduction needs; the message comes from the generic check.
        """
        t = target if target.dtype == numpy.int64 else target.astype(numpy.int64)
        value = int(self._reduction_kernel("check_and_count_targets")(
            t, numpy.int64(num_classes), numpy.int64(ignore_index)))
        if value >= _BAD_TARGET:
            super().check_class_indices(target, num_classes, ignore_index)
            raise IndexError(f"cross_entropy: a target is out of bounds for {num_classes} "
                             f"classes")   # not reached: the generic check names it
        return value

    def check_class_indices(self, target, num_classes, ignore_index):
        """Raise ``IndexError`` for a target outside [0, C) (one reduction, one host sync)."""
        if target.size:
            self._count_valid_targets(target, num_classes, ignore_index)

    def cross_entropy_forward(self, logits, target, reduction="mean", ignore_index=-100,
                              label_smoothing=0.0):
        cp = self._cupy
        if logits.ndim != 2 or logits.dtype not in _FLOAT_TYPES or logits.size == 0:
            return super().cross_entropy_forward(logits, target, reduction, ignore_index,
                                                 label_smoothing)
        n, c = logits.shape
        dtype = logits.dtype
        count = self._count_valid_targets(target, c, ignore_index)
        x = cp.ascontiguousarray(logits)
        t = cp.ascontiguousarray(target, dtype=cp.int64)
        per_row = cp.empty((n,), dtype=dtype)
        lse = cp.empty((n,), dtype=dtype)
        self._launch_rows("cross_entropy_forward", dtype, n, c,
                          (x, t, per_row, lse, numpy.int64(c), numpy.int64(ignore_index),
                           dtype.type(label_smoothing)), 1)
        if reduction == "none":
            return per_row, lse
        # the sum, divided by the number of rows not ignored for "mean" (0/0 gives NaN
        # as in PyTorch), in one reduction
        divisor = dtype.type(count if reduction == "mean" else 1)
        return self._reduction_kernel("sum_divide")(per_row, divisor), lse

    def cross_entropy_backward(self, grad, logits, target, lse, reduction="mean",
                               ignore_index=-100, label_smoothing=0.0):
        cp = self._cupy
        if (logits.ndim != 2 or logits.dtype not in _FLOAT_TYPES or logits.size == 0
                or lse.dtype != logits.dtype):
            return super().cross_entropy_backward(grad, logits, target, lse, reduction,
                                                  ignore_index, label_smoothing)
        n, c = logits.shape
        dtype = logits.dtype
        t = cp.ascontiguousarray(target, dtype=cp.int64)
        grad = cp.ascontiguousarray(cp.asarray(grad, dtype=dtype).reshape(-1))
        per_row = reduction == "none"
        if per_row and grad.size != n:
            raise ValueError(f"cross_entropy backward: grad has {grad.size} elements, "
                             f"expected {n} for reduction='none'")
        divide = reduction == "mean"
        # rows not ignored, counted on the device (no host sync); 0 gives NaN like PyTorch
        count = cp.count_nonzero(t != ignore_index).astype(dtype) if divide else grad
        x = cp.ascontiguousarray(logits)
        dx = cp.empty_like(x)
        kernel = self._row_kernel("cross_entropy_backward", dtype)
        kernel((n,), (_block_size(c),),
               (x, t, cp.ascontiguousarray(lse), grad, count, dx, numpy.int64(c),
                numpy.int64(ignore_index), numpy.int32(per_row), numpy.int32(divide),
                dtype.type(1.0 - label_smoothing), dtype.type(label_smoothing / c)))
        return dx

    # ------------------------------------------------------------------
    # optimizer updates, in place, one kernel each
    # ------------------------------------------------------------------
    @staticmethod
    def _can_fuse(param, *arrays):
        return (param.dtype in _FLOAT_TYPES
                and all(a is not None and a.dtype == param.dtype and a.shape == param.shape
                        for a in arrays))

    def sgd_step(self, param, grad, momentum_buffer, lr, momentum=0.0, dampening=0.0,
                 weight_decay=0.0, nesterov=False, first_step=False):
        use_momentum = momentum != 0.0
        t = param.dtype.type
        if use_momentum and self._can_fuse(param, grad, momentum_buffer):
            self._kernel("sgd_momentum_step")(
                grad, t(lr), t(momentum), t(1.0 - dampening), t(weight_decay),
                numpy.int32(bool(nesterov)), numpy.int32(bool(first_step)), param,
                momentum_buffer)
            return param
        if not use_momentum and self._can_fuse(param, grad):
            self._kernel("sgd_step")(grad, t(lr), t(weight_decay), param)
            return param
        return super().sgd_step(param, grad, momentum_buffer, lr, momentum, dampening,
                                weight_decay, nesterov, first_step)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, step, lr, beta1=0.9, beta2=0.999,
                  eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
        if not self._can_fuse(param, grad, exp_avg, exp_avg_sq):
            return super().adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2,
                                     eps, weight_decay, decoupled_weight_decay)
        # scalar coefficients in double on the host, as PyTorch computes them in Python
        bias_correction1 = 1.0 - beta1 ** step
        bias_correction2 = 1.0 - beta2 ** step
        t = param.dtype.type
        self._kernel("adam_step")(
            grad, t(weight_decay), t(1.0 - lr * weight_decay),
            numpy.int32(bool(decoupled_weight_decay)), t(beta1), t(1.0 - beta1), t(beta2),
            t(1.0 - beta2), t(lr / bias_correction1), t(bias_correction2 ** 0.5), t(eps),
            param, exp_avg, exp_avg_sq)
        return param

    def rmsprop_step(self, param, grad, square_avg, lr, alpha=0.99, eps=1e-8, weight_decay=0.0,
                     momentum=0.0, centered=False, momentum_buffer=None, grad_avg=None):
        use_momentum = momentum > 0.0
        extra = ([grad_avg] if centered else []) + ([momentum_buffer] if use_momentum else [])
        if not self._can_fuse(param, grad, square_avg, *extra):
            return super().rmsprop_step(param, grad, square_avg, lr, alpha, eps, weight_decay,
                                        momentum, centered, momentum_buffer, grad_avg)
        key = ("rmsprop_step", bool(centered), use_momentum)
        kernel = self._kernel(key, rmsprop_kernel_definition(centered, use_momentum))
        t = param.dtype.type
        kernel(grad, t(lr), t(alpha), t(1.0 - alpha), t(eps), t(weight_decay), t(momentum),
               param, square_avg, *extra)
        return param
