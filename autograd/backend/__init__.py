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


class DeviceError(RuntimeError, ValueError):
    """An unknown or malformed device (PyTorch raises RuntimeError; ValueError reads naturally)."""


def _parse_device(spec):
    """``"type"`` or ``"type:index"`` -> ``(type, index or None)``; DeviceError if malformed."""
    kind, sep, idx = spec.partition(":")
    index = None
    if sep:
        if not idx.isdigit() or not idx.isascii() or (len(idx) > 1 and idx[0] == "0"):
            raise DeviceError(f"Invalid device string: {spec!r}")
        index = int(idx)
    if kind not in _factories:
        known = ", ".join(sorted(_factories))
        raise DeviceError(f"unknown device {spec!r}; expected one of: {known}")
    return kind, index


class device(str):
    """A device, like ``torch.device``: ``ag.device("cpu")``, ``ag.device("cuda:0")``,
    ``ag.device("cuda", 0)``.

    It is a ``str`` (``"cpu"``, ``"cuda:0"``, ...), so it compares equal to, hashes like and
    prints as the device string, and it has PyTorch's ``.type`` (``"cpu"``, ``"cuda"``) and
    ``.index`` (``None`` unless given) attributes.  ``Tensor.device`` is one of these (its
    string is the backend's name: ``t.device == "cpu"``; on cuda ``.index`` is 0).  Accepted
    wherever a device string is.

    Example::

        >>> d = ag.device("cuda:0")
        >>> d.type, d.index, str(d)
        ('cuda', 0, 'cuda:0')
        >>> ag.zeros(2).device == "cpu"
        True
    """

    def __new__(cls, type, index=None):  # noqa: A002  (PyTorch's parameter name)
        if isinstance(type, device) and index is None:
            return type
        if not isinstance(type, str):
            kind = getattr(type, "type", None)   # e.g. a torch.device
            if not isinstance(kind, str):
                raise TypeError(f"device must be a string like 'cpu' or 'cuda', got "
                                f"{builtins_type(type).__name__}")
            if index is None:
                index = getattr(type, "index", None)
            type = kind
        kind, idx = _parse_device(type)
        if index is not None:
            if idx is not None:
                raise DeviceError(f"device string {type!r} already has an index; "
                                  f"got index={index} as well")
            if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                raise DeviceError(f"Device index must be a non-negative int, got {index!r}")
            idx = index
        self = str.__new__(cls, kind if idx is None else f"{kind}:{idx}")
        self.type = kind
        self.index = idx
        return self

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (_device_from_state, (self.type, self.index, str(self)))


builtins_type = type


def _device_from_state(kind, index, text):
    d = str.__new__(device, text)
    d.type = kind
    d.index = index
    return d


_tensor_devices = {}


def tensor_device(name):
    """The :class:`device` a tensor on backend ``name`` reports (cached; cuda has index 0)."""
    d = _tensor_devices.get(name)
    if d is None:
        d = _device_from_state(name, 0 if name == "cuda" else None, name)
        _tensor_devices[name] = d
    return d


def normalize_device(device):
    """Return the canonical device name for ``device`` (``None`` means cpu).

    Accepts ``"cpu"`` (also ``"cpu:N"``), ``"cuda"``, ``"cuda:0"`` (index 0 only),
    registered names, an :class:`autograd.device` or an object with a ``.type``
    (and ``.index``) like ``torch.device``.  Raises :class:`DeviceError` (both a
    RuntimeError, as in PyTorch, and a ValueError) naming the device for anything
    else, ``TypeError`` for a non-string.
    """
    if device is None:
        return "cpu"
    if device in _factories:
        return str(device)
    if not isinstance(device, str):
        name = getattr(device, "type", None)  # an object with a .type, like torch.device
        if not isinstance(name, str):
            raise TypeError(f"device must be a string like 'cpu' or 'cuda', got "
                            f"{builtins_type(device).__name__}")
        index = getattr(device, "index", None)
        device = name if index is None else f"{name}:{index}"
    kind, index = _parse_device(device)
    if index is not None and index != 0 and kind != "cpu":
        raise DeviceError(f"device {device!r} is not supported: only index 0 of {kind!r} "
                          f"is available")
    return kind


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

__all__ = ["Backend", "register_backend", "get_backend", "normalize_device", "device",
           "DeviceError"]
