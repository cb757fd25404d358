"""The compiled core: Cython kernels built from ``kernels/*.pyx``.

Modules: ``gemm`` (BLAS matrix products), ``activations`` (ReLU, softmax,
log-softmax), ``losses`` (cross-entropy), ``optim`` (fused SGD, Adam/AdamW,
RMSprop updates) and ``parallel`` (OpenMP threads).  The kernels trust
their inputs; call them through :mod:`autograd.backend.cpu`, which checks
dtypes, shapes and contiguity first.

Example::

    >>> from autograd import _C
    >>> _C.set_num_threads(2)
    >>> _C.get_num_threads() in (1, 2)   # 1 when built without OpenMP
    True
"""

_BUILD_HINT = (
    "The compiled kernels of autograd (autograd._C) are missing or broken{detail}.\n"
    "Build them with one of:\n"
    "    pip install .                                  # a regular install\n"
    "    pip install -e . --no-build-isolation          # an editable (development) install\n"
    "    python setup.py build_ext --inplace            # build next to the sources\n"
    "from the root of the source tree (needs a C compiler, Cython>=3.1, numpy and scipy).\n"
    "If you are in the source tree but meant to use an installed autograd, run Python "
    "from another directory."
)

try:
    from . import activations, gemm, losses, optim, parallel
except ImportError as exc:  # not built, built for another Python, or a missing symbol
    raise ImportError(_BUILD_HINT.format(detail=f" ({exc})")) from exc

_KERNEL_MODULES = (gemm, activations, losses, optim, parallel)

#: True when the kernels were compiled with OpenMP (else they run single-threaded).
HAVE_OPENMP = parallel.HAVE_OPENMP


def _find_blas_thread_setter():
    """``set_num_threads(int)`` of the OpenBLAS behind scipy.linalg.cython_blas, or None.

    The matrix products go through SciPy's BLAS, whose thread pool is not
    OpenMP's; SciPy's wheels bundle OpenBLAS as ``libscipy_openblas*`` next
    to the package.  Loading it again by path returns the copy already in
    the process.  Best effort: any other BLAS keeps its own setting.
    """
    import ctypes
    import glob
    import os

    try:
        import scipy
    except ImportError:
        return None
    base = os.path.dirname(os.path.abspath(scipy.__file__))
    patterns = [os.path.join(base + ".libs", "*openblas*"), os.path.join(base, ".dylibs", "*openblas*")]
    for path in sorted(p for pattern in patterns for p in glob.glob(pattern)):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in ("scipy_openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
                       "openblas_set_num_threads"):
            setter = getattr(lib, symbol, None)
            if setter is not None:
                setter.argtypes = [ctypes.c_int]
                setter.restype = None
                return setter
    return None


_blas_set_num_threads = None
_blas_lookup_done = False


def set_num_threads(n):
    """Set the number of threads the kernels use (like ``torch.set_num_threads``).

    ``n`` must be a positive int.  It sets the OpenMP threads of the Cython
    kernels and, when SciPy bundles OpenBLAS (its wheels do), the threads of
    the BLAS behind ``gemm``/``matmul``.  Without OpenMP the kernels stay
    single-threaded and :func:`get_num_threads` keeps returning 1.

    Example::

        >>> set_num_threads(1)   # deterministic, single-threaded kernels
    """
    if isinstance(n, bool) or not isinstance(n, int):
        try:
            import operator
            n = operator.index(n)
        except TypeError:
            raise TypeError(f"set_num_threads: expected an int, got {type(n).__name__}") from None
    if n < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    global _blas_set_num_threads, _blas_lookup_done
    parallel.set_num_threads(n)
    for module in _KERNEL_MODULES:
        module._set_num_threads(n)
    if not _blas_lookup_done:
        _blas_lookup_done = True
        try:
            _blas_set_num_threads = _find_blas_thread_setter()
        except Exception:  # a BLAS we cannot drive must never break the call
            _blas_set_num_threads = None
    if _blas_set_num_threads is not None:
        _blas_set_num_threads(n)


def get_num_threads():
    """The number of OpenMP threads the kernels use (1 when built without OpenMP).

    Example::

        >>> get_num_threads() >= 1
        True
    """
    return parallel.get_num_threads()


__all__ = ["activations", "gemm", "losses", "optim", "parallel", "set_num_threads",
           "get_num_threads", "HAVE_OPENMP"]
