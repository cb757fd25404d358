"""Device backends: one object per device, found by the device's name.

``get_backend("cpu")`` returns the cpu backend (NumPy arrays, Cython
kernels).  Other devices register a factory with :func:`register_backend`;
the factory runs on first use, so a device whose library is missing (CuPy)
only fails when someone asks for it, with a message saying what to install.
"""

from .base import Backend

_factories = {}
_backends = {}


def register_backend(name, factory):
    """Register ``factory()`` as the maker of the backend for device ``name``."""
    _factories[name] = factory
    _backends.pop(name, None)


def normalize_device(device):
    """Return the canonical device name for ``device`` (``None`` means cpu).

    Accepts ``"cpu"``, ``"cuda"``, ``"cuda:0"`` (index 0 only) and registered
    names; raises ``ValueError`` for anything else, ``TypeError`` for a non-string.
    """
    if device is None:
        return "cpu"
    if not isinstance(device, str):
        name = getattr(device, "type", None)  # an object with a .type, like torch.device
        if not isinstance(name, str):
            raise TypeError(f"device must be a string like 'cpu' or 'cuda', got {type(device).__name__}")
        device = name
    if device == "cuda:0":
        device = "cuda"
    if device not in _factories:
        known = ", ".join(sorted(_factories))
        raise ValueError(f"unknown device {device!r}; expected one of: {known}")
    return device


def get_backend(device):
    """The backend object for ``device`` (created on first use)."""
    backend = _backends.get(device)
    if backend is None:
        device = normalize_device(device)
        backend = _backends.get(device)
        if backend is None:
            backend = _factories[device]()
            _backends[device] = backend
    return backend


def _make_cpu():
    from .cpu import CPUBackend
    return CPUBackend()


def _make_cuda():
    from .cuda import CUDABackend
    return CUDABackend()


register_backend("cpu", _make_cpu)
register_backend("cuda", _make_cuda)

__all__ = ["Backend", "register_backend", "get_backend", "normalize_device"]
