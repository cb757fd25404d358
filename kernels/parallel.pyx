# cython: language_level=3
"""OpenMP thread control for the kernels.

Every kernel module keeps its own thread setting (a static in ag_common.h);
:func:`autograd._C.set_num_threads` calls :func:`set_num_threads` here and
``_set_num_threads`` of every kernel module.  Built without OpenMP, the
setting is recorded but the kernels run serially and
``get_num_threads()`` returns 1.
"""

from ag_common cimport (AG_HAVE_OPENMP, omp_get_max_threads, omp_set_num_threads,
                        ag_set_module_threads, ag_set_module_parallel_thresholds,
                        AG_PARALLEL_MIN_ELEMENTS, AG_PARALLEL_MIN_ROW_WORK,
                        PARALLEL_MIN_ELEMENTS, PARALLEL_MIN_ROW_WORK)

#: True when the extension modules were compiled with OpenMP.
HAVE_OPENMP = bool(AG_HAVE_OPENMP)
#: The default sizes from which the kernels use threads: ``"elements"`` for
#: elementwise and optimizer kernels (size of the flat array), ``"row_work"``
#: for the row kernels (softmax, log-softmax, cross-entropy: rows * cols).
#: Smaller inputs run on the calling thread (ag_common.h says why the bar is high).
DEFAULT_PARALLEL_THRESHOLDS = {"elements": AG_PARALLEL_MIN_ELEMENTS,
                               "row_work": AG_PARALLEL_MIN_ROW_WORK}


def _set_parallel_thresholds(Py_ssize_t elements, Py_ssize_t row_work):
    ag_set_module_parallel_thresholds(elements, row_work)


def get_parallel_thresholds():
    """The sizes from which the kernels use threads now (see DEFAULT_PARALLEL_THRESHOLDS)."""
    return {"elements": PARALLEL_MIN_ELEMENTS, "row_work": PARALLEL_MIN_ROW_WORK}

cdef int _requested = 0


def set_num_threads(int n):
    """Use ``n`` threads in this module's OpenMP regions (``n >= 1``)."""
    global _requested
    if n < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    _requested = n
    ag_set_module_threads(n)
    if AG_HAVE_OPENMP:
        omp_set_num_threads(n)


def get_num_threads():
    """The number of threads the kernels use (1 without OpenMP)."""
    if not AG_HAVE_OPENMP:
        return 1
    if _requested > 0:
        return _requested
    return omp_get_max_threads()


def _set_num_threads(int n):
    ag_set_module_threads(n)
