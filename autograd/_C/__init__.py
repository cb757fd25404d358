"""The compiled core: Cython kernels built from ``kernels/*.pyx``.

Modules: ``gemm`` (BLAS matrix products), ``activations`` (ReLU, softmax,
log-softmax), ``losses`` (cross-entropy), ``optim`` (fused SGD, Adam/AdamW,
RMSprop updates), ``reductions`` (full sums), ``parallel`` (OpenMP threads)
and ``grad_mode`` (the per-thread grad-mode flag).  The kernels trust
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

import os as _os

# libgomp's default wait policy lets idle OpenMP workers spin (~300k
# iterations) after every parallel region.  On a machine with few cores
# that spinning takes the cores away from OpenBLAS's threads, which run the
# matrix products between our regions: a 784-1024-1024-10 MLP step (batch
# 1024, 2 cores) took 146 ms with spinning workers and 93 ms with
# OMP_WAIT_POLICY=PASSIVE (sleeping workers).  libgomp reads the variable
# once, when it is loaded, which is the import below; so set it for that
# import only, and only when the user has not chosen a policy (OMP_WAIT_POLICY
# or GOMP_SPINCOUNT).  It is removed again afterwards, so an OpenMP runtime
# that other libraries load later (PyTorch bundles its own) keeps its
# defaults.  No effect if libgomp was already loaded.
_set_wait_policy = "OMP_WAIT_POLICY" not in _os.environ and "GOMP_SPINCOUNT" not in _os.environ
if _set_wait_policy:
    _os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
try:
    from . import activations, gemm, grad_mode, losses, optim, parallel, reductions
except ImportError as exc:  # not built, built for another Python, or a missing symbol
    raise ImportError(_BUILD_HINT.format(detail=f" ({exc})")) from exc
finally:
    if _set_wait_policy:
        _os.environ.pop("OMP_WAIT_POLICY", None)

_KERNEL_MODULES = (gemm, activations, losses, optim, parallel)

#: True when the kernels were compiled with OpenMP (else they run single-threaded).
HAVE_OPENMP = parallel.HAVE_OPENMP


def _find_openblas():
    """The ``ctypes.CDLL`` of the OpenBLAS behind scipy.linalg.cython_blas, or None.

    The matrix products go through SciPy's BLAS, whose thread pool is not
    OpenMP's; SciPy's wheels bundle OpenBLAS as ``libscipy_openblas*`` next
    to the package.  Loading it again by path returns the copy already in
    the process (``gemm`` imported cython_blas, which loaded it).  Best
    effort: any other BLAS keeps its own threading.
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
        if any(hasattr(lib, symbol) for symbol in _GLOBAL_SETTERS + _LOCAL_SETTERS):
            return lib
    return None


_GLOBAL_SETTERS = ("scipy_openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
                   "openblas_set_num_threads")
# int openblas_set_num_threads_local(int) -> previous (OpenBLAS >= 0.3.27); thread-local
# in OpenMP builds of OpenBLAS, process-wide in pthreads builds
_LOCAL_SETTERS = ("openblas_set_num_threads_local", "scipy_openblas_set_num_threads_local",
                  "scipy_openblas_set_num_threads_local64_")


def _find_blas_thread_setter(lib=None):
    """``set_num_threads(int)`` of the OpenBLAS behind scipy.linalg.cython_blas, or None."""
    import ctypes

    lib = lib if lib is not None else _find_openblas()
    if lib is None:
        return None
    for symbol in _GLOBAL_SETTERS:
        setter = getattr(lib, symbol, None)
        if setter is not None:
            setter.argtypes = [ctypes.c_int]
            setter.restype = None
            return setter
    return None


def _blas_getter(lib):
    import ctypes

    for symbol in ("scipy_openblas_get_num_threads", "scipy_openblas_get_num_threads64_",
                   "openblas_get_num_threads"):
        getter = getattr(lib, symbol, None)
        if getter is not None:
            getter.argtypes = []
            getter.restype = ctypes.c_int
            return getter
    return None


def _setter_is_process_wide(lib, setter):
    """Whether ``openblas_set_num_threads_local`` changes every thread's count (pthreads
    builds of OpenBLAS, like SciPy's wheels) or only the caller's (OpenMP builds):
    set 1 here and look from another thread.  When it cannot tell, says True,
    which is safe either way (see kernels/gemm.pyx)."""
    import threading

    getter = _blas_getter(lib)
    if getter is None:
        return True
    before = getter()
    if before <= 1:
        return True
    seen = []
    previous = setter(1)
    try:
        probe = threading.Thread(target=lambda: seen.append(getter()))
        probe.start()
        probe.join()
    finally:
        setter(previous)
    return not seen or seen[0] == 1


def _install_blas_local_threads(lib=None):
    """Give ``gemm`` the address of OpenBLAS's ``openblas_set_num_threads_local``, so
    that small products run on one BLAS thread (see kernels/gemm.pyx).  Returns True
    when installed; False (products keep the BLAS's own threading) when this BLAS
    has no such function."""
    import ctypes

    lib = lib if lib is not None else _find_openblas()
    address = 0
    process_wide = True
    if lib is not None:
        for symbol in _LOCAL_SETTERS:
            fn = getattr(lib, symbol, None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int]
                fn.restype = ctypes.c_int
                address = ctypes.cast(fn, ctypes.c_void_p).value or 0
                process_wide = _setter_is_process_wide(lib, fn)
                break
    gemm._set_blas_local_threads_fn(address, process_wide)
    return address != 0


try:
    _openblas = _find_openblas()
    _install_blas_local_threads(_openblas)
except Exception:  # a BLAS we cannot inspect must never break the import
    _openblas = None

_blas_set_num_threads = None
_blas_lookup_done = False


class _ThreadCountError(ValueError, RuntimeError):
    """A thread count below 1 (PyTorch raises RuntimeError; ValueError reads naturally)."""


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
        raise _ThreadCountError(f"set_num_threads: expected a positive number of threads, got {n}")
    global _blas_set_num_threads, _blas_lookup_done
    parallel.set_num_threads(n)
    for module in _KERNEL_MODULES:
        module._set_num_threads(n)
    if not _blas_lookup_done:
        _blas_lookup_done = True
        try:
            _blas_set_num_threads = _find_blas_thread_setter(_openblas)
        except Exception:  # a BLAS we cannot drive must never break the call
            _blas_set_num_threads = None
    if _blas_set_num_threads is not None:
        _blas_set_num_threads(n)
        gemm._blas_threads_changed(n)


def _set_parallel_thresholds(elements=None, row_work=None):
    """Set the sizes from which the OpenMP kernels use threads; returns the old ones.

    ``elements`` applies to the elementwise and optimizer kernels (array
    size), ``row_work`` to softmax / log-softmax / cross-entropy (rows * cols);
    ``None`` keeps a value.  For tests (which lower them to exercise the
    threaded paths on small arrays) and for tuning; the defaults are
    ``parallel.DEFAULT_PARALLEL_THRESHOLDS``.
    """
    old = parallel.get_parallel_thresholds()
    elements = old["elements"] if elements is None else int(elements)
    row_work = old["row_work"] if row_work is None else int(row_work)
    if elements < 0 or row_work < 0:
        raise ValueError(f"parallel thresholds must be >= 0, got {elements} and {row_work}")
    for module in _KERNEL_MODULES:
        module._set_parallel_thresholds(elements, row_work)
    return old


def set_gemm_autotune(enabled):
    """Choose how each matrix product uses the threads by timing (on by default).

    With more than one thread, products of 2**20 to 2**24 multiply-adds are
    timed, per shape, on one thread and split into blocks of rows over the
    kernel threads, and run the faster way; the other way is re-tried now and
    then, so the choice follows the load on the machine (kernels/gemm.pyx).
    On a quiet 2-core machine this makes a 784-128-10 training step at batch
    128 about 20% faster than one thread; on a busy one it keeps the products
    on one thread, where a stalled second thread would make them 2-3x slower.
    Both ways give the same bits (the blocks are cut where OpenBLAS's kernel
    cuts them anyway), so results repeat from run to run either way.
    ``False`` runs those products on one thread, untimed; so does
    ``AUTOGRAD_GEMM_AUTOTUNE=0`` at import.  Returns the previous setting.
    """
    if not isinstance(enabled, (bool, int)):
        raise TypeError(f"set_gemm_autotune: expected a bool, got {type(enabled).__name__}")
    gemm._reset_gemm_tuning()
    return gemm._set_gemm_tuning(bool(enabled))


def get_gemm_autotune():
    """Whether matrix products choose their threads by timing (:func:`set_gemm_autotune`)."""
    return gemm._get_gemm_tuning()


_warn_only = [False]   # use_deterministic_algorithms' warn_only (its mode lives in gemm)


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Make results repeat bit for bit from run to run at a given thread count (like
    ``torch.use_deterministic_algorithms``).

    The CPU kernels are deterministic already: the one choice made at run time
    (:func:`set_gemm_autotune`) is between two ways of running a product that give
    the same bits.  ``mode=True`` turns that timing off too, as a guarantee
    that does not rest on the BLAS.  ``warn_only`` is accepted for PyTorch
    compatibility; nothing here needs a warning.

    Example::

        >>> use_deterministic_algorithms(True)
        >>> are_deterministic_algorithms_enabled()
        True
        >>> use_deterministic_algorithms(False)
    """
    if not isinstance(mode, (bool, int)):
        raise TypeError(f"use_deterministic_algorithms: expected a bool, got {type(mode).__name__}")
    if not isinstance(warn_only, (bool, int)):
        raise TypeError(f"use_deterministic_algorithms: warn_only must be a bool, got "
                        f"{type(warn_only).__name__}")
    gemm._set_deterministic(bool(mode))
    _warn_only[0] = bool(warn_only)


def are_deterministic_algorithms_enabled():
    """Whether :func:`use_deterministic_algorithms` is on (off by default)."""
    return gemm._get_deterministic()


def is_deterministic_algorithms_warn_only_enabled():
    """The ``warn_only`` given to the last :func:`use_deterministic_algorithms` call."""
    return _warn_only[0]


# AUTOGRAD_GEMM_AUTOTUNE=0 turns the timing off at import (anything else, or
# nothing, leaves it on)
_AUTOTUNE_FROM_ENV = _os.environ.get("AUTOGRAD_GEMM_AUTOTUNE", "").strip() != "0"
gemm._set_gemm_tuning(_AUTOTUNE_FROM_ENV)


def get_num_threads():
    """The number of OpenMP threads the kernels use (1 when built without OpenMP).

    Example::

        >>> get_num_threads() >= 1
        True
    """
    return parallel.get_num_threads()


__all__ = ["activations", "gemm", "losses", "optim", "parallel", "set_num_threads",
           "get_num_threads", "set_gemm_autotune", "get_gemm_autotune", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled", "HAVE_OPENMP"]
