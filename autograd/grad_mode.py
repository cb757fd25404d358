"""Grad mode: whether operations record the graph (thread-local, like PyTorch).

``no_grad()``, ``enable_grad()`` and ``set_grad_enabled(mode)`` work as context
managers and as decorators (``no_grad`` and ``enable_grad`` also without the
parentheses); ``set_grad_enabled(mode)`` also takes effect when called as a
plain function.  Each thread starts with grad mode on.

Example::

    >>> import autograd as ag
    >>> x = ag.ones(3, requires_grad=True)
    >>> with ag.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
"""

import functools
import inspect

from ._C.grad_mode import GradState as _GradState

# ``_state.enabled`` is the calling thread's mode (C thread-local storage; a new
# thread starts with True). Everything reads and sets the mode through it.
_state = _GradState()


def is_grad_enabled():
    """True when operations record the graph in the calling thread."""
    return _state.enabled


class _GradModeContext:
    """Base of the grad-mode context managers: sets a mode on enter, restores on exit."""

    __slots__ = ("_prev",)
    _mode = True

    def __init__(self):
        self._prev = None

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._mode
        return self

    def __exit__(self, exc_type, exc, tb):
        _state.enabled = self._prev
        return False

    def __call__(self, func):
        """Use as a decorator: run ``func`` under this grad mode (generators too)."""
        mode = self._mode
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                prev = _state.enabled
                _state.enabled = mode
                try:
                    response = gen.send(None)
                finally:
                    _state.enabled = prev
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        gen.close()
                        raise
                    except BaseException as exc:
                        prev = _state.enabled
                        _state.enabled = mode
                        try:
                            response = gen.throw(exc)
                        except StopIteration as stop:
                            return stop.value
                        finally:
                            _state.enabled = prev
                        continue
                    prev = _state.enabled
                    _state.enabled = mode
                    try:
                        response = gen.send(request)
                    except StopIteration as stop:
                        return stop.value
                    finally:
                        _state.enabled = prev
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = _state.enabled
            _state.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                _state.enabled = prev
        return wrapper


class _NoParamGradModeContext(_GradModeContext):
    """A grad-mode context that also works as a bare decorator (``@ag.no_grad`` without
    parentheses), like PyTorch's ``no_grad`` and ``enable_grad``."""

    __slots__ = ()

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamGradModeContext):
    """Context manager / decorator that disables graph recording.

    Results computed inside have ``requires_grad=False``.  The optimizer's
    in-place parameter updates run under it.

    Example::

        >>> with ag.no_grad():
        ...     y = x * 2          # y.requires_grad is False
        >>> @ag.no_grad()          # or @ag.no_grad, without parentheses
        ... def evaluate(model, x): return model(x)
    """

    __slots__ = ()
    _mode = False


class enable_grad(_NoParamGradModeContext):
    """Context manager / decorator that enables graph recording (inside ``no_grad``).

    Example::

        >>> with ag.no_grad():
        ...     with ag.enable_grad():
        ...         y = x * 2      # recorded
    """

    __slots__ = ()
    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``: as a call, a context manager or a decorator.

    Called as a function it takes effect at once (and a ``with`` block
    restores the previous mode on exit), like ``torch.set_grad_enabled``.

    Example::

        >>> with ag.set_grad_enabled(False):
        ...     y = x * 2          # not recorded
        >>> ag.set_grad_enabled(True)
    """

    __slots__ = ("_mode",)

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled expects a bool, got {type(mode).__name__}")
        self._mode = mode
        self._prev = _state.enabled
        _state.enabled = mode

    def __enter__(self):
        # The mode was already set in __init__; _prev holds the mode before it.
        return self

    def __exit__(self, exc_type, exc, tb):
        _state.enabled = self._prev
        return False

    def __call__(self, func):
        # As a decorator the call in __init__ must not leak: restore it now.
        _state.enabled = self._prev
        return super().__call__(func)


__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]
