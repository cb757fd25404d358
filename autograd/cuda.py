"""``ag.cuda``: is a CUDA GPU usable, how many, and waiting for it.

CuPy is optional.  These functions never import CuPy at ``import autograd``
time and never raise because it is missing: without CuPy, or with CuPy but
no usable GPU (no driver, no device), :func:`is_available` is ``False`` and
:func:`device_count` is 0.

Example::

    >>> import autograd as ag
    >>> device = "cuda" if ag.cuda.is_available() else "cpu"
    >>> x = ag.randn(4, 3, device=device)
"""

__all__ = ["is_available", "device_count", "synchronize", "unavailable_reason"]

_INSTALL_HINT = ("install CuPy for your CUDA version, e.g. `pip install cupy-cuda12x` "
                 "(or `pip install autograd[gpu]`), on a machine with an NVIDIA GPU and driver")


def _probe():
    """``(device_count, reason)``: the number of usable GPUs and why there are none."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CuPy install
        return 0, f"CuPy is not importable ({type(exc).__name__}: {exc}); {_INSTALL_HINT}"
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # CUDARuntimeError: no driver, no device, ...
        return 0, f"CuPy found no usable CUDA device ({type(exc).__name__}: {exc})"
    if count <= 0:
        return 0, "CuPy is installed but no CUDA device is visible (getDeviceCount() == 0)"
    return count, None


_probed = None


def _probe_once():
    global _probed
    if _probed is None:
        _probed = _probe()
    return _probed


def device_count():
    """The number of CUDA devices CuPy can see (0 without CuPy or a GPU)."""
    return _probe_once()[0]


def is_available():
    """``True`` when CuPy is importable and sees at least one CUDA device; never raises."""
    return device_count() > 0


def unavailable_reason():
    """Why ``device="cuda"`` cannot be used (``None`` when it can): names what to install."""
    return _probe_once()[1]


def synchronize():
    """Wait until all queued work on the current CUDA device has finished.

    Raises ``RuntimeError`` (saying what to install) when CUDA is not available.
    """
    from .backend import get_backend
    get_backend("cuda").synchronize()
