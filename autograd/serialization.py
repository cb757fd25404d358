"""``ag.save`` / ``ag.load``: checkpoints in a format that cannot run code when loaded.

A checkpoint is a zip archive (like NumPy's ``.npz``) with two kinds of member:

* ``index.json`` -- the structure of the saved object as JSON::

      {"format": "autograd.save", "version": 1, "object": NODE}

  where a NODE is one of ``{"type": "none"}``, ``{"type": "bool"|"int"|"float"|"str",
  "value": ...}``, ``{"type": "list"|"tuple", "items": [NODE, ...]}``,
  ``{"type": "dict", "items": [[KEY_NODE, NODE], ...]}`` (keys keep their
  type: str, int, float, bool, None or tuples of those),
  ``{"type": "tensor", "array": NAME, "requires_grad": bool}``,
  ``{"type": "ndarray", "array": NAME}`` or ``{"type": "scalar", "array": NAME}``
  (a NumPy scalar such as ``numpy.float32(1.5)``);
* ``arrays/<n>.npy`` -- each array in NumPy's ``.npy`` format, read back
  with ``allow_pickle=False``, so object arrays are refused.

Loading checks every node against this grammar and every array against the
names the index mentions; a pickle (including a ``torch.save`` file), a
file that is not a checkpoint, or a tampered one raises ``ValueError``.
"""

import json
import numbers
import os
import tempfile
import zipfile

import numpy

__all__ = ["save", "load", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "autograd.save"
FORMAT_VERSION = 1
_INDEX_NAME = "index.json"
_ARRAY_PREFIX = "arrays/"

# dtypes a checkpoint may hold; anything else (object, void, datetime...) is refused
_ALLOWED_DTYPE_KINDS = "biufc"

_SCALAR_TYPES = ("none", "bool", "int", "float", "str")


def _tensor_class():
    from .tensor import Tensor

    return Tensor


class _Writer:
    """Turns an object into index nodes, collecting arrays on the way."""

    def __init__(self):
        self.arrays = []
        self.Tensor = _tensor_class()
        self._active = set()  # ids of containers being encoded, to refuse cycles

    def add_array(self, array, where):
        array = numpy.asarray(array)
        if array.dtype.kind not in _ALLOWED_DTYPE_KINDS:
            raise TypeError(f"save: {where}: arrays of dtype {array.dtype} cannot be saved "
                            "(only bool, integer, float and complex arrays)")
        name = f"{_ARRAY_PREFIX}{len(self.arrays)}.npy"
        self.arrays.append((name, array))
        return name

    def key(self, key, where):
        if key is None:
            return {"type": "none"}
        if isinstance(key, (bool, numpy.bool_)):
            return {"type": "bool", "value": bool(key)}
        if isinstance(key, numbers.Integral):
            return {"type": "int", "value": int(key)}
        if isinstance(key, float):
            return {"type": "float", "value": key}
        if isinstance(key, str):
            return {"type": "str", "value": key}
        if isinstance(key, tuple):
            return {"type": "tuple", "items": [self.key(k, where) for k in key]}
        raise TypeError(f"save: {where}: dict keys must be str, int, float, bool, None or "
                        f"tuples of those, got {type(key).__name__}")

    def node(self, obj, where):
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, numpy.generic):
            # before the Python types: numpy.float64 subclasses float, and
            # should come back as numpy.float64
            return {"type": "scalar", "array": self.add_array(numpy.asarray(obj), where)}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": obj}
        if isinstance(obj, float):
            return {"type": "float", "value": obj}
        if isinstance(obj, str):
            return {"type": "str", "value": obj}
        if isinstance(obj, self.Tensor):
            # a host copy: tensors from any device are written as NumPy arrays
            host = obj._backend.to_numpy(obj._data)
            return {"type": "tensor", "array": self.add_array(host, where),
                    "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, numpy.ndarray):
            return {"type": "ndarray", "array": self.add_array(obj, where)}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self._active:
                raise ValueError(f"save: {where}: the object contains itself (a cycle)")
            self._active.add(id(obj))
            try:
                if isinstance(obj, dict):
                    return {"type": "dict",
                            "items": [[self.key(k, where), self.node(v, f"{where}[{k!r}]")]
                                      for k, v in obj.items()]}
                kind = "list" if isinstance(obj, list) else "tuple"
                return {"type": kind,
                        "items": [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
            finally:
                self._active.discard(id(obj))
        raise TypeError(f"save: {where}: cannot save an object of type {type(obj).__name__} "
                        "(supported: dict, list, tuple, Tensor, ndarray, NumPy scalars, "
                        "int, float, bool, str, None)")


def save(obj, f):
    """Save ``obj`` -- nested dicts, lists and tuples of tensors, arrays and numbers -- to ``f``.

    Tensors are stored as host arrays (a cuda tensor is copied to the cpu)
    with their ``requires_grad`` flag; ``ndarray`` stays ``ndarray``; dict
    keys keep their type (an optimizer's integer keys come back as ints).
    The file is a zip of ``.npy`` arrays plus a JSON index and is written to
    a temporary file first, then renamed, so an interrupted save never
    leaves a half-written checkpoint under ``f``.

    Args:
        obj: the object to save.
        f: a path (``str`` or path-like) or a writable binary file object.

    Example::

        >>> ag.save({"model": model.state_dict(), "optim": opt.state_dict(),  # doctest: +SKIP
        ...          "epoch": 5}, "checkpoint.agz")
    """
    writer = _Writer()
    index = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "object": writer.node(obj, "obj")}
    index_bytes = json.dumps(index, allow_nan=True).encode("utf-8")

    def write_zip(handle):
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr(_INDEX_NAME, index_bytes)
            for name, array in writer.arrays:
                with zf.open(name, "w", force_zip64=array.nbytes > (1 << 30)) as member:
                    numpy.lib.format.write_array(member, array,
                                                 allow_pickle=False)

    if hasattr(f, "write"):
        write_zip(f)
        return
    path = os.path.abspath(os.fspath(f))
    directory = os.path.dirname(path)
    fd, temp_path = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                     dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            write_zip(handle)
        os.replace(temp_path, path)
    finally:
        if os.path.exists(temp_path):
            os.remove(temp_path)


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------
def _looks_like_pickle(head):
    """True when ``head`` (the first bytes of a non-zip file) starts like a pickle."""
    # Protocol 2+ pickles start with PROTO (0x80) and the protocol number;
    # protocol 0/1 ones with MARK '(' , EMPTY_LIST ']', EMPTY_DICT '}' or GLOBAL 'c'.
    return (len(head) >= 2 and head[0] == 0x80 and head[1] <= 5) or head[:1] in (b"(", b"]", b"}", b"c")


class _Reader:
    """Rebuilds an object from index nodes, checking each against the grammar."""

    def __init__(self, zf, source, device):
        self.zf = zf
        self.source = source
        self.device = device
        self.members = set(zf.namelist())
        self.used = set()
        self.Tensor = _tensor_class()
        from .backend import get_backend

        self.cpu = get_backend("cpu")

    def fail(self, where, problem):
        raise ValueError(f"load: {self.source}: invalid checkpoint at {where}: {problem} "
                         "(the file is damaged or was not written by ag.save)")

    def expect_keys(self, node, keys, where):
        if set(node) != set(keys):
            self.fail(where, f"node has fields {sorted(node)}, expected {sorted(keys)}")

    def array(self, node, where):
        name = node.get("array")
        if not isinstance(name, str) or not name.startswith(_ARRAY_PREFIX) or name not in self.members:
            self.fail(where, f"array {name!r} is not in the archive")
        if name in self.used:
            self.fail(where, f"array {name!r} is referenced twice")
        self.used.add(name)
        try:
            with self.zf.open(name) as member:
                array = numpy.lib.format.read_array(member, allow_pickle=False)
        except ValueError as exc:
            self.fail(where, f"array {name!r} cannot be read without pickle ({exc})")
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            self.fail(where, f"array {name!r} is corrupt ({exc})")
        if array.dtype.kind not in _ALLOWED_DTYPE_KINDS:
            self.fail(where, f"array {name!r} has unsupported dtype {array.dtype}")
        return array

    def scalar(self, node, where):
        kind = node["type"]
        if kind == "none":
            self.expect_keys(node, ("type",), where)
            return None
        self.expect_keys(node, ("type", "value"), where)
        value = node["value"]
        expected = {"bool": bool, "int": int, "float": (float, int), "str": str}[kind]
        if not isinstance(value, expected) or (kind != "bool" and isinstance(value, bool)):
            self.fail(where, f"{kind} node holds a {type(value).__name__}")
        return float(value) if kind == "float" else value

    def key(self, node, where):
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            self.fail(where, "dict key is not a node")
        if node["type"] in _SCALAR_TYPES:
            return self.scalar(node, where)
        if node["type"] == "tuple":
            self.expect_keys(node, ("type", "items"), where)
            if not isinstance(node["items"], list):
                self.fail(where, "tuple key items is not a list")
            return tuple(self.key(k, where) for k in node["items"])
        self.fail(where, f"dict key of type {node['type']!r} is not allowed")

    def node(self, node, where):
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            self.fail(where, "expected a node object with a 'type'")
        kind = node["type"]
        if kind in _SCALAR_TYPES:
            return self.scalar(node, where)
        if kind in ("list", "tuple"):
            self.expect_keys(node, ("type", "items"), where)
            if not isinstance(node["items"], list):
                self.fail(where, f"{kind} items is not a list")
            items = [self.node(item, f"{where}[{i}]") for i, item in enumerate(node["items"])]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            self.expect_keys(node, ("type", "items"), where)
            if not isinstance(node["items"], list):
                self.fail(where, "dict items is not a list")
            result = {}
            for pair in node["items"]:
                if not isinstance(pair, list) or len(pair) != 2:
                    self.fail(where, "dict item is not a [key, value] pair")
                key = self.key(pair[0], where)
                try:
                    hash(key)
                except TypeError:
                    self.fail(where, f"dict key {key!r} is not hashable")
                if key in result:
                    self.fail(where, f"duplicate dict key {key!r}")
                result[key] = self.node(pair[1], f"{where}[{key!r}]")
            return result
        if kind == "tensor":
            self.expect_keys(node, ("type", "array", "requires_grad"), where)
            if not isinstance(node["requires_grad"], bool):
                self.fail(where, "requires_grad is not a bool")
            array = self.array(node, where)
            requires_grad = node["requires_grad"]
            if requires_grad and array.dtype.kind not in "fc":
                self.fail(where, f"requires_grad on a {array.dtype} tensor")
            if not array.flags.c_contiguous:  # kernels expect C order
                array = numpy.ascontiguousarray(array)
            tensor = self.Tensor._make(array, self.cpu, requires_grad=requires_grad)
            if self.device != "cpu":
                # a leaf on the target device, like torch.load(map_location=...)
                moved = tensor.detach().to(self.device)
                if requires_grad:
                    moved.requires_grad_(True)
                tensor = moved
            return tensor
        if kind == "ndarray":
            self.expect_keys(node, ("type", "array"), where)
            return self.array(node, where)
        if kind == "scalar":
            self.expect_keys(node, ("type", "array"), where)
            array = self.array(node, where)
            if array.ndim != 0:
                self.fail(where, f"scalar node holds an array of shape {array.shape}")
            return array[()]
        self.fail(where, f"unknown node type {kind!r}")


def load(f, map_location=None, *, weights_only=None):
    """Load an object written by :func:`save`; never runs code from the file.

    Args:
        f: a path or a readable, seekable binary file object.
        map_location: ``None`` or ``"cpu"`` (tensors on the cpu), or a device
            (a name such as ``"cuda"``, or a device object) to move every tensor to.
        weights_only: accepted for PyTorch compatibility (``torch.load``'s safe
            mode); the format only ever holds data, so every load is weights-only.

    Returns:
        The saved object: dicts, lists, tuples, :class:`~autograd.Tensor`
        (with its ``requires_grad``), ``numpy.ndarray``, NumPy scalars and
        Python numbers, strings, bools and ``None``.

    Raises:
        ValueError: the file is a pickle (refused: unpickling can run
            arbitrary code), not a checkpoint, or damaged/tampered with.
        FileNotFoundError: no such file.

    Example::

        >>> state = ag.load("checkpoint.agz")                  # doctest: +SKIP
        >>> model.load_state_dict(state["model"])
    """
    device = "cpu"
    if map_location is not None:
        if not isinstance(map_location, str) and not isinstance(getattr(map_location, "type", None),
                                                                str):
            raise TypeError(f"load: map_location must be None or a device name such as 'cpu' "
                            f"or 'cuda', got {type(map_location).__name__}")
        from .backend import normalize_device

        device = normalize_device(map_location)
    if hasattr(f, "read"):
        source = getattr(f, "name", "<file object>")
        return _load_from(f, source, device)
    path = os.fspath(f)
    with open(path, "rb") as handle:
        return _load_from(handle, path, device)


def _load_from(handle, source, device):
    start = handle.tell() if hasattr(handle, "tell") else 0
    head = handle.read(4)
    handle.seek(start)
    if head[:2] != b"PK":
        if _looks_like_pickle(head):
            raise ValueError(f"load: {source} is a pickle file; ag.load refuses pickles because "
                             "unpickling can run arbitrary code (save with ag.save instead)")
        raise ValueError(f"load: {source} is not an ag.save checkpoint (not a zip archive)")
    try:
        zf = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"load: {source} is not a readable ag.save checkpoint ({exc})") from None
    with zf:
        names = zf.namelist()
        if _INDEX_NAME not in names:
            if any(name.endswith(".pkl") or name.endswith("data.pkl") for name in names):
                raise ValueError(f"load: {source} holds a pickle (a torch.save file?); ag.load "
                                 "refuses pickles because unpickling can run arbitrary code")
            raise ValueError(f"load: {source} is a zip archive but not an ag.save checkpoint "
                             f"(no {_INDEX_NAME})")
        try:
            index = json.loads(zf.read(_INDEX_NAME).decode("utf-8"))
        except (zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError) as exc:
            raise ValueError(f"load: {source}: checkpoint index is corrupt ({exc})") from None
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"load: {source}: checkpoint index is not valid JSON ({exc})") from None
        if not isinstance(index, dict) or index.get("format") != FORMAT_NAME:
            raise ValueError(f"load: {source} is not an ag.save checkpoint "
                             "(index has no 'format': 'autograd.save')")
        if index.get("version") != FORMAT_VERSION:
            raise ValueError(f"load: {source}: checkpoint format version {index.get('version')!r} "
                             f"is not supported (this library reads version {FORMAT_VERSION})")
        if set(index) != {"format", "version", "object"}:
            raise ValueError(f"load: {source}: invalid checkpoint index fields {sorted(index)}")
        reader = _Reader(zf, source, device)
        try:
            obj = reader.node(index["object"], "obj")
        except RecursionError:
            raise ValueError(f"load: {source}: checkpoint structure is nested too deeply") from None
        unexpected = set(names) - reader.used - {_INDEX_NAME}
        if unexpected:
            raise ValueError(f"load: {source}: invalid checkpoint: archive members "
                             f"{sorted(unexpected)[:5]} are not referenced by the index")
        return obj
