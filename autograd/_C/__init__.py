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


def set_num_threads(n):
    """Set the number of OpenMP threads the kernels use (like ``torch.set_num_threads``).

    ``n`` must be a positive int.  Without OpenMP the call is recorded but has
    no effect, and :func:`get_num_threads` keeps returning 1.  BLAS (matrix
    products) keeps its own thread pool.

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
    parallel.set_num_threads(n)
    for module in _KERNEL_MODULES:
        module._set_num_threads(n)


def get_num_threads():
    """The number of OpenMP threads the kernels use (1 when built without OpenMP).

    Example::

        >>> get_num_threads() >= 1
        True
    """
    return parallel.get_num_threads()


__all__ = ["activations", "gemm", "losses", "optim", "parallel", "set_num_threads",
           "get_num_threads", "HAVE_OPENMP"]
