# cython: language_level=3
"""Grad mode's per-thread flag, kept in C thread-local storage.

Every operation reads the flag once (record the graph or not) and so does
every backward's fast path.  As an attribute of a ``threading.local`` the read
cost about 600 machine instructions, a twentieth of a small op's whole cost;
through this property it costs about a quarter of that.  Each OS thread starts
with the flag off, which means grad mode on, as in PyTorch.

:mod:`autograd.grad_mode` holds the one instance and builds ``no_grad`` and
friends on it.
"""

cdef extern from *:
    """
    #if defined(_MSC_VER)
    #define AG_THREAD_LOCAL __declspec(thread)
    #else
    #define AG_THREAD_LOCAL __thread
    #endif
    /* 0 in a new thread: grad mode starts on */
    static AG_THREAD_LOCAL int ag_grad_disabled = 0;
    static int ag_grad_enabled(void) { return !ag_grad_disabled; }
    static void ag_set_grad_enabled(int enabled) { ag_grad_disabled = !enabled; }
    """
    int ag_grad_enabled()
    void ag_set_grad_enabled(int enabled)


cdef class GradState:
    """The calling thread's grad mode, as the attribute ``enabled`` (a bool)."""

    @property
    def enabled(self):
        return <bint>ag_grad_enabled()

    @enabled.setter
    def enabled(self, value):
        ag_set_grad_enabled(1 if value else 0)
