"""The Tensor: a device array plus what the graph needs.

A Tensor is thin: an array, a ``requires_grad`` flag, a ``grad``, the node
that produced it (``grad_fn``) and a version counter.  Its methods and
operators only route to the functions of :mod:`autograd.ops` (installed from
one table at the bottom of this module); they hold no math.

Example::

    >>> import autograd as ag
    >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([[2., 4.],
            [6., 8.]])

Internals (contracts other modules rely on)
-------------------------------------------
* ``t._data``: the backend array (``numpy.ndarray`` on "cpu", ``cupy.ndarray``
  on "cuda", ...).  ``t._backend``: the backend object
  (``autograd.backend.get_backend(device)``); ``t.device`` is an
  ``autograd.device`` (a ``str`` subclass) equal to ``t._backend.name`` ("cpu",
  "cuda", or another registered device name), with ``.type`` and ``.index``.
* ``t.grad`` (Tensor or None; a property over the slot ``t._grad`` that
  checks shape/dtype/device on assignment), ``t.requires_grad`` (property over
  the slot ``t._requires_grad``), ``t.grad_fn`` (the node, None for leaves),
  ``t.is_leaf`` (``grad_fn is None``), ``t._output_nr`` (which output of
  ``grad_fn`` this is).
* In-place ops (``add_``, ``+=``, ``x[i] = v``, ...) go through
  ``t._inplace(name, out_of_place_fn, *args)``: outside the graph the result
  is written into ``t._data``; inside it, ``t`` is rebased onto the new node
  (and, for a view, its base onto ``base.flat[positions] = result``).
* ``t._version`` (int, read-only): bumped by every in-place op.  The counter is
  a shared one-element list ``t._vc``; views (reshape, transpose, basic
  indexing, expand, ...) share it with their base, as in PyTorch, and keep
  the root base in ``t._base``; ``detach()`` shares the counter (not ``_base``),
  ``.data`` gets a fresh one.  ``t._bump_version()`` bumps it (the optimizer
  calls it after updating ``p._data`` in place).
* Views made in grad mode are registered (weakly) in their root base's
  ``_views``.  After an in-place op recorded on the base or on any of its views,
  every other live view gets a new ``grad_fn`` (``AsStridedBackward0``: the
  view's elements picked from the base's current history), as PyTorch
  regenerates a view's grad_fn when the shared version moves; outputs of
  split/chunk/unbind (``_multi_view``) may not be changed in place inside the
  graph, and a change of their base makes their backward raise.
* ``Tensor._make(array, backend, requires_grad=False)`` (classmethod, works for
  subclasses such as ``nn.Parameter``): wrap an existing device array without
  copying or validating -- the fast internal constructor.  The module-level
  ``_wrap(array, backend, requires_grad)`` is the same for plain Tensors.
* ``t._hooks``: gradient hooks of a leaf (hooks of non-leaves live on their
  ``grad_fn``).
"""


import weakref

import numpy

from . import dtypes as _dtypes
from . import random as _random
from . import grad_mode as _grad_mode
from . import function as _function
from . import engine as _engine
from .backend import get_backend, normalize_device, tensor_device as _tensor_device

_state = _grad_mode._state
_new = object.__new__


class Tensor:
    """A multi-dimensional array that can record operations for automatic differentiation.

    ``ag.Tensor(data, dtype=None, requires_grad=False, device="cpu")`` behaves
    like :func:`autograd.tensor` but, like ``torch.Tensor(data)``, defaults to
    the default float dtype; passing a Tensor as ``data`` shares its storage.

    Example::

        >>> t = ag.Tensor([1.0, 2.0])
        >>> t * 2
        tensor([2., 4.])
    """

    # ``_views`` (a root base's weak references to its views) is unset on most tensors and
    # ``_multi_view`` on all but views (None, or (op name, output nr) for the outputs of
    # split/chunk/unbind and views of them): read them with getattr.
    __slots__ = ("_data", "_backend", "_requires_grad", "_grad", "grad_fn", "_output_nr", "_vc",
                 "_base", "_hooks", "_views", "_multi_view", "_positions", "__weakref__")

    # numpy must leave `ndarray (op) Tensor` to Tensor's reflected operators
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, data=None, dtype=None, requires_grad=False, device=None):
        if isinstance(data, Tensor):
            src = data if dtype is None else data.to(dtype)
            if device is not None:
                src = src.to(device)
            self._data = src._data
            self._backend = src._backend
            self._vc = src._vc
        else:
            from .ops.creation import tensor as _tensor_factory
            # like torch.Tensor(data): the default float dtype unless one is given
            src = _tensor_factory([] if data is None else data,
                                  dtype=_dtypes.get_default_dtype() if dtype is None else dtype,
                                  device="cpu" if device is None else device)
            self._data = src._data
            self._backend = src._backend
            self._vc = [0]
        self._grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._base = None
        self._hooks = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array, backend, requires_grad=False):
        """Wrap ``array`` (already on ``backend``'s device) without copying or checks."""
        t = _new(cls)
        t._data = array
        t._backend = backend
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._vc = [0]
        t._base = None
        t._hooks = None
        return t

    # ------------------------------------------------------------------
    # attributes
    # ------------------------------------------------------------------
    @property
    def shape(self):
        """The shape, a tuple of ints."""
        return self._data.shape

    @property
    def ndim(self):
        """Number of dimensions."""
        return self._data.ndim

    @property
    def dtype(self):
        """The dtype (a numpy dtype: ``ag.float32`` ...)."""
        return self._data.dtype

    @property
    def device(self):
        """The device, an :class:`autograd.device`: a ``str`` equal to the backend's name
        ("cpu", "cuda", ...) with PyTorch's ``.type`` and ``.index`` attributes."""
        return _tensor_device(self._backend.name)

    @property
    def is_cuda(self):
        """True for tensors on the cuda device."""
        return self._backend.name == "cuda"

    @property
    def requires_grad(self):
        """Whether operations on this tensor are recorded for differentiation."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded operation."""
        return self.grad_fn is None

    @property
    def _version(self):
        return self._vc[0]

    def _bump_version(self):
        """Record an in-place change of ``_data`` (invalidates saved copies of it)."""
        self._vc[0] += 1

    @property
    def data(self):
        """A tensor sharing this one's storage, outside the graph (new version counter)."""
        return Tensor._make(self._data, self._backend, False)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._backend = value._backend

    @property
    def T(self):
        """The tensor with its dimensions reversed (transpose for 2-D)."""
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self):
        """Transpose of the last two dimensions."""
        return self.transpose(-2, -1)

    @property
    def grad(self):
        """The accumulated gradient (a Tensor) or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            self._check_grad(value)
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    def _check_grad(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                            f"{type(value).__name__}")
        if value._backend is not self._backend:
            raise RuntimeError(f"assigned grad has device {value.device} but the tensor is on "
                               f"{self.device}")
        if value.shape != self.shape:
            raise RuntimeError(f"assigned grad has data of a different size: "
                               f"{tuple(value.shape)} vs the tensor's {tuple(self.shape)}")
        if value.dtype != self.dtype:
            raise RuntimeError(f"assigned grad has dtype {value.dtype} but the tensor has "
                               f"{self.dtype}")

    # ------------------------------------------------------------------
    # size queries and conversions
    # ------------------------------------------------------------------
    def size(self, dim=None):
        """The shape, or the size of dimension ``dim``."""
        shape = self._data.shape
        if dim is None:
            return shape
        return shape[_normalize_dim(dim, len(shape), "size")]

    def numel(self):
        """Number of elements."""
        return int(self._data.size)

    def nelement(self):
        """Number of elements (alias of numel)."""
        return int(self._data.size)

    def dim(self):
        """Number of dimensions."""
        return self._data.ndim

    def element_size(self):
        """Bytes per element."""
        return self._data.dtype.itemsize

    def is_contiguous(self):
        """True if the data is C-contiguous."""
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self):
        """True for float dtypes."""
        return self._data.dtype.kind == "f"

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to "
                               "Scalar; item() needs exactly one element")
        return self._data.item()

    def tolist(self):
        """The data as (nested) Python lists of numbers."""
        return self._backend.to_numpy(self._data).tolist()

    def numpy(self, force=False):
        """The data as a numpy.ndarray (shares memory on cpu; a host copy on other devices).

        Raises RuntimeError for a tensor that requires grad (use ``detach().numpy()``).
        """
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if self._backend.name == "cpu":
            return self._data
        return self._backend.to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError("Can't convert a Tensor that requires grad to a numpy array. "
                               "Use tensor.detach().numpy() instead.")
        arr = self._data if self._backend.name == "cpu" else self._backend.to_numpy(self._data)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        if copy:
            arr = arr.copy()
        return arr

    def detach(self):
        """A tensor sharing storage and version counter with this one, outside the graph."""
        t = Tensor._make(self._data, self._backend, False)
        t._vc = self._vc   # shared, so in-place changes still invalidate saved copies
        return t

    def detach_(self):
        """Detach this tensor from the graph in place (it becomes a leaf)."""
        self.grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on a leaf (float dtypes only); returns self."""
        if not isinstance(requires_grad, (bool, numpy.bool_, int)):
            raise TypeError(f"requires_grad_(): argument 'requires_grad' must be bool, not "
                            f"{type(requires_grad).__name__}")
        requires_grad = bool(requires_grad)
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError("you can only change requires_grad flags of leaf variables. "
                                   "If you want to use a computed variable in a subgraph that "
                                   "doesn't require differentiation use var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients "
                               f"(got {self._data.dtype}); convert with .float() first")
        self._requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Keep the gradient of a non-leaf tensor in ``.grad`` after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self.grad_fn
        if fn is None:
            return  # leaves keep their gradient anyway
        if fn._retained is None:
            fn._retained = {}
        fn._retained[self._output_nr] = weakref.ref(self)

    @property
    def retains_grad(self):
        """True if ``retain_grad()`` was called on this non-leaf tensor."""
        fn = self.grad_fn
        return fn is not None and bool(fn._retained) and self._output_nr in fn._retained

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed.

        The hook may return a new gradient to use instead.  Returns a handle
        with ``remove()``.

        Example::

            >>> h = x.register_hook(lambda g: g * 2)   # doubles x's gradient
            >>> h.remove()
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if not callable(hook):
            raise TypeError(f"hook must be callable, got {type(hook).__name__}")
        fn = self.grad_fn
        if fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if fn._pre_hooks is None:
                fn._pre_hooks = {}
            hooks = fn._pre_hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the leaves' ``.grad``.

        ``gradient`` (same shape as self) is required unless self has one element.
        ``retain_graph`` (default: ``create_graph``) keeps saved tensors for another
        backward; ``create_graph=True`` records the backward pass (higher-order grads).

        Example::

            >>> x = ag.tensor([1.0, 2.0], requires_grad=True)
            >>> (x * x).sum().backward(); x.grad
            tensor([2., 4.])
        """
        _engine.backward((self,), None if gradient is None else (gradient,), retain_graph,
                         create_graph, inputs)

    # ------------------------------------------------------------------
    # devices and dtypes
    # ------------------------------------------------------------------
    def to(self, *args, **kwargs):
        """Move to a device and/or convert the dtype: ``to("cuda")``, ``to(ag.float64)``,
        ``to("cpu", ag.float64)``, ``to(other_tensor)``.  Returns self if nothing changes.
        Differentiable."""
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, str) or hasattr(a, "type") and not isinstance(a, numpy.dtype):
                device = a
            elif a is None:
                continue
            else:
                dtype = a
        out = self
        if dtype is not None:
            dtype = _dtypes.as_dtype(dtype)
            if dtype != out._data.dtype:
                out = E.to_dtype(out, dtype)
        if device is not None:
            name = normalize_device(device)
            if name != out._backend.name:
                out = E.to_device(out, get_backend(name))
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self):
        """This tensor on the cpu (self if it already is)."""
        return self.to("cpu")

    def cuda(self, device=None):
        """This tensor on the cuda device."""
        return self.to("cuda" if device is None else device)

    def float(self):
        """Convert to float32."""
        return self.to(_dtypes.float32)

    def double(self):
        """Convert to float64."""
        return self.to(_dtypes.float64)

    def half(self):
        """Convert to float16."""
        return self.to(_dtypes.float16)

    def long(self):
        """Convert to int64."""
        return self.to(_dtypes.int64)

    def int(self):
        """Convert to int32."""
        return self.to(_dtypes.int32)

    def bool(self):
        """Convert to bool."""
        return self.to(_dtypes.bool_)

    def type(self, dtype=None):
        """The dtype name, or a copy converted to ``dtype``."""
        if dtype is None:
            return _dtypes.dtype_name(self.dtype)
        return self.to(dtype)

    def type_as(self, other):
        """Convert to ``other``'s dtype."""
        return self.to(other.dtype)

    def contiguous(self):
        """Self if C-contiguous, else a contiguous copy (differentiable)."""
        if self._data.flags.c_contiguous:
            return self
        return self.clone()

    # ------------------------------------------------------------------
    # Python protocol
    # ------------------------------------------------------------------
    __hash__ = object.__hash__

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is "
                               "ambiguous; use .any() or .all()")
        return bool(self._data.item())

    def __float__(self):
        if self._data.size != 1:
            raise _ScalarConversionError("only one element tensors can be converted to Python "
                                         f"scalars (this one has {self._data.size})")
        return float(self._data.item())

    def __int__(self):
        if self._data.size != 1:
            raise _ScalarConversionError("only one element tensors can be converted to Python "
                                         f"scalars (this one has {self._data.size})")
        return int(self._data.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __complex__(self):
        return complex(self.item())

    def __format__(self, spec):
        # like PyTorch: a 0-d tensor formats as its Python number, others only with no spec
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise _FormatError(f"unsupported format string {spec!r} passed to Tensor.__format__ "
                               f"(only 0-d tensors take a format spec; use .item() or .tolist())")
        return repr(self)

    def __repr__(self):
        return _format_tensor(self)

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        raise TypeError("autograd Tensors cannot be pickled; use ag.save(obj, path) instead")

    def __deepcopy__(self, memo):
        t = Tensor._make(self._data.copy(), self._backend, self._requires_grad) \
            if type(self) is Tensor else type(self)._make(self._data.copy(), self._backend,
                                                         self._requires_grad)
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    # ------------------------------------------------------------------
    # in-place operations
    # ------------------------------------------------------------------
    def _check_inplace(self, name):
        if _state.enabled:
            if self._requires_grad and self.grad_fn is None:
                raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in "
                                   "an in-place operation. Wrap it in `with ag.no_grad():` "
                                   "(as optimizers do) or clone() it first.")
            base = self._base
            if base is not None and base._requires_grad and base.grad_fn is None:
                raise RuntimeError(f"{name}: a view of a leaf Variable that requires grad is being "
                                   "used in an in-place operation.")

    def _inplace(self, name, op, *args):
        """Apply the out-of-place ``op(self, *args)`` and write the result into self.

        Inside the graph, self's history is rebased onto the new node (PyTorch's
        semantics): ``y = 3 * x; y += 1`` differentiates as ``y = 3 * x + 1``.
        """
        self._check_inplace(name)
        flags = getattr(self._data, "flags", None)
        if flags is not None and not flags.writeable:
            raise RuntimeError(f"{name}: unsupported operation: more than one element of the "
                               "written-to tensor refers to a single memory location (an "
                               "expanded/broadcast tensor); clone() it before writing")
        record = _state.enabled and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args))
        if not record:
            prev = _state.enabled
            _state.enabled = False
            try:
                res = op(self, *args)
            finally:
                _state.enabled = prev
            self._write_result(res, name)
            return self
        if self._base is not None:
            return self._inplace_on_view(name, op, args)
        views = getattr(self, "_views", None)
        old = Tensor._make(self._data.copy(), self._backend, self._requires_grad)
        old.grad_fn = self.grad_fn
        old._output_nr = self._output_nr
        res = op(old, *args)
        if res._data.dtype != self._data.dtype:
            _check_cast(res._data.dtype, self._data.dtype, name)
            res = res.to(self._data.dtype)
        self._write_result(res, name)
        self.grad_fn = res.grad_fn
        self._output_nr = res._output_nr
        self._requires_grad = res._requires_grad
        if views:
            _refresh_views(self, None)
        return self

    def _inplace_on_view(self, name, op, args):
        """In-place op on a view inside the graph: the view gets the new history and
        its base is rebased onto ``base.flat[view_positions] = result`` (so both the
        view and the base differentiate correctly afterwards); the base's other views
        are then regenerated from the base's new history (see ``_refresh_views``)."""
        multi = getattr(self, "_multi_view", None)
        if multi is not None:
            raise RuntimeError(
                f"Output {multi[1]} of {_multi_view_op(self, multi)} is a view and is being modified inplace. This "
                "view is the output of a function that returns multiple views. Such functions "
                "do not allow the output views to be modified inplace. You should replace the "
                "inplace operation by an out-of-place one.")
        base = self._base
        positions = _view_positions(self._data, base._data)
        if positions is None:
            raise RuntimeError(f"{name}: in-place operation on this view of another tensor is not "
                               "supported inside the autograd graph; clone() the view first or "
                               "use the out-of-place operation")
        old = Tensor._make(self._data.copy(), self._backend, self._requires_grad)
        old.grad_fn = self.grad_fn
        old._output_nr = self._output_nr
        res = op(old, *args)
        if res._data.dtype != self._data.dtype:
            _check_cast(res._data.dtype, self._data.dtype, name)
            res = res.to(self._data.dtype)
        if res._data.shape != self._data.shape:
            raise RuntimeError(f"{name}: output with shape {tuple(self._data.shape)} doesn't "
                               f"match the broadcast shape {tuple(res._data.shape)}")
        base_old = Tensor._make(base._data.copy(), base._backend, base._requires_grad)
        base_old.grad_fn = base.grad_fn
        base_old._output_nr = base._output_nr
        if base._backend.name != "cpu":
            positions = base._backend.from_numpy(positions)
        new_base = _indexing.index_put(base_old.reshape(-1), (positions,), res).reshape(base.shape)
        self._write_result(res, name)
        base.grad_fn = new_base.grad_fn
        base._output_nr = new_base._output_nr
        base._requires_grad = new_base._requires_grad
        self.grad_fn = res.grad_fn
        self._output_nr = res._output_nr
        self._requires_grad = res._requires_grad
        _refresh_views(base, self)
        return self

    @staticmethod
    def _mark_multi_view(outputs, op_name):
        """Mark the views returned together by split/chunk/unbind (``op_name`` is
        PyTorch's: "Split", "SplitWithSizes", "Unbind"): changing one of them in place
        inside the graph raises, as in PyTorch.  Returns ``outputs``."""
        for nr, t in enumerate(outputs):
            if t._base is not None:
                t._multi_view = (op_name, nr)
        return outputs

    def _write_result(self, res, name):
        data = res._data
        if data.shape != self._data.shape:
            raise RuntimeError(f"{name}: output with shape {tuple(self._data.shape)} doesn't match "
                               f"the broadcast shape {tuple(data.shape)}")
        if data.dtype != self._data.dtype:
            _check_cast(data.dtype, self._data.dtype, name)
        if data is not self._data:
            self._data[...] = data
        self._vc[0] += 1

    def __setitem__(self, index, value):
        try:
            _indexing.setitem(self, index, value)
        except TypeError as exc:
            raise _translate_index_error(index, exc) from None

    def __getitem__(self, index):
        try:
            return _getitem(self, index)
        except TypeError as exc:
            raise _translate_index_error(index, exc) from None

    def add_(self, other, alpha=1):
        """In place: ``self += alpha * other``."""
        if alpha != 1:
            return self._inplace("add_", lambda s, o: E.add(s, o, alpha=alpha), other)
        return self._inplace("add_", E.add, other)

    def sub_(self, other, alpha=1):
        """In place: ``self -= alpha * other``."""
        if alpha != 1:
            return self._inplace("sub_", lambda s, o: E.sub(s, o, alpha=alpha), other)
        return self._inplace("sub_", E.sub, other)

    def mul_(self, other):
        """In place: ``self *= other``."""
        return self._inplace("mul_", E.mul, other)

    def div_(self, other, rounding_mode=None):
        """In place: ``self /= other``."""
        return self._inplace("div_", lambda s, o: E.div(s, o, rounding_mode=rounding_mode), other)

    def pow_(self, exponent):
        """In place: ``self **= exponent``."""
        return self._inplace("pow_", E.pow, exponent)

    def clamp_(self, min=None, max=None):
        """In place clamp."""
        return self._inplace("clamp_", lambda s: E.clamp(s, min, max))

    clip_ = clamp_

    def fill_(self, value):
        """In place: set every element to ``value`` (a number or a 0-d tensor)."""
        return self._inplace("fill_", E.fill_like, value)

    def zero_(self):
        """In place: set every element to zero."""
        return self._inplace("zero_", E.fill_like, 0)

    def copy_(self, src):
        """In place: copy ``src`` (broadcast to self's shape, converted to self's dtype/device)."""
        return self._inplace("copy_", E.copy_from, src)

    def __iadd__(self, other):
        return self._inplace("add_", E.add, other)

    def __isub__(self, other):
        return self._inplace("sub_", E.sub, other)

    def __imul__(self, other):
        return self._inplace("mul_", E.mul, other)

    def __itruediv__(self, other):
        return self._inplace("div_", E.div, other)

    def __ifloordiv__(self, other):
        return self._inplace("floor_divide_", E.floor_divide, other)

    def __imod__(self, other):
        return self._inplace("remainder_", E.remainder, other)

    def __ipow__(self, other):
        return self._inplace("pow_", E.pow, other)

    def __imatmul__(self, other):
        return self._inplace("matmul_", _linalg.matmul, other)


class _ScalarConversionError(RuntimeError, ValueError):
    """``float(t)`` / ``int(t)`` of a tensor without exactly one element (PyTorch: ValueError)."""


class _FormatError(TypeError, ValueError):
    """A format spec on a tensor that is not 0-d (PyTorch: TypeError)."""


class _IndexTypeError(IndexError, TypeError):
    """A float index (PyTorch: IndexError; TypeError reads naturally)."""


def _translate_index_error(index, exc):
    """``exc`` (a TypeError from indexing) as PyTorch raises it: IndexError for a float index."""
    items = index if isinstance(index, tuple) else (index,)
    for item in items:
        if isinstance(item, (float, numpy.floating)):
            return _IndexTypeError(f"only integers, slices (`:`), ellipsis (`...`), None and "
                                   f"long or byte Variables are valid indices (got "
                                   f"{type(item).__name__})")
    return exc


def _data_address(array):
    iface = getattr(array, "__array_interface__", None)
    if iface is not None:
        return iface["data"][0]
    return array.data.ptr   # CuPy


def _element_offsets(shape, strides, itemsize, start=0):
    """Memory offset, in elements, of each element of an array of ``shape`` and byte
    ``strides`` (an int64 array of that shape), plus ``start``."""
    off = numpy.full(shape, start, dtype=numpy.int64)
    nd = len(shape)
    for d, (n, st) in enumerate(zip(shape, strides)):
        if n > 1 and st:
            step = numpy.arange(n, dtype=numpy.int64) * (st // itemsize)
            off += step.reshape((n,) + (1,) * (nd - d - 1))
    return off


def _view_positions(view, base):
    """Flat C-order positions in ``base`` of each element of ``view`` (a host int64 array
    of the view's shape), or None when the view's elements are not all elements of
    ``base`` (for instance a copy)."""
    itemsize = base.dtype.itemsize
    if view.dtype.itemsize != itemsize:
        return None
    try:
        offset = _data_address(view) - _data_address(base)
    except (AttributeError, TypeError):
        return None
    if offset % itemsize or any(st % itemsize for st in view.strides) \
            or any(st % itemsize for st in base.strides):
        return None
    rel = _element_offsets(view.shape, view.strides, itemsize, offset // itemsize)
    if not rel.size:
        return rel
    if base.flags.c_contiguous:
        if rel.min() < 0 or rel.max() >= base.size:
            return None
        return rel
    if not base.size:
        return None
    # any other layout: a table from memory offsets to the base's C-order positions
    boff = _element_offsets(base.shape, base.strides, itemsize).ravel()
    lo = int(boff.min())
    hi = int(boff.max())
    if rel.min() < lo or rel.max() > hi:
        return None
    table = numpy.full(hi - lo + 1, -1, dtype=numpy.int64)
    table[boff - lo] = numpy.arange(base.size, dtype=numpy.int64)
    positions = table[rel - lo]
    if positions.min() < 0:
        return None
    return positions


_TRUE1 = (True,)


def _refresh_views(root, skip):
    """After an in-place op recorded on ``root`` (or on its view ``skip``): give every
    other live view of ``root`` made in grad mode a grad_fn taken from ``root``'s new
    history (PyTorch regenerates a view's grad_fn when the shared version moves)."""
    refs = getattr(root, "_views", None)
    if not refs:
        return
    live = []
    for r in refs:
        v = r()
        if v is None:
            continue
        live.append(r)
        if v is not skip and v._base is root:
            _regenerate_view(v, root)
    refs[:] = live


def _multi_view_op(view, multi):
    """PyTorch's name of the op that made ``view`` (for the multiple-views errors)."""
    if multi[0] is not None:
        return multi[0]
    name = view.grad_fn.name() if view.grad_fn is not None else "View"
    return name[:-9] if name.endswith("Backward0") else name


def _regenerate_view(view, root):
    """``view.grad_fn`` := the view's elements of ``root`` (AsStridedBackward0)."""
    fn = root.grad_fn
    if fn is not None:
        edge = (fn, root._output_nr)
    elif root._requires_grad:
        edge = (root, 0)
    else:
        view.grad_fn = None
        view._output_nr = 0
        view._requires_grad = False
        return
    multi = getattr(view, "_multi_view", None)
    if multi is not None:
        multi = view._multi_view = (_multi_view_op(view, multi), multi[1])
        node = _indexing.MultiViewModified()
        node.message = (
            f"Output {multi[1]} of {_multi_view_op(view, multi)} is a view and its base or another view of its "
            "base has been modified inplace. This view is the output of a function that "
            "returns multiple views. Such functions do not allow the output views to be "
            "modified inplace. You should replace the inplace operation by an out-of-place one.")
    else:
        # the view's element positions in the root: the same at every regeneration, so
        # found once (each in-place op on the root regenerates every live view)
        cached = getattr(view, "_positions", None)
        if cached is not None and cached[0] is root._data:
            positions = cached[1]
        else:
            positions = _view_positions(view._data, root._data)
            if positions is not None and root._backend.name != "cpu":
                positions = root._backend.from_numpy(positions)
            view._positions = (root._data, positions)
        if positions is None:
            return   # not in the base's memory: its values, and so its history, did not change
        node = _indexing.AsStrided()
        node.positions = positions
        node.base_shape = root._data.shape
    _function._init_node(node, (edge,), root._backend)
    node.needs_input_grad = _TRUE1
    old = view.grad_fn
    if old is not None and old._retained and view._output_nr in old._retained:
        node._retained = {0: old._retained.pop(view._output_nr)}   # retain_grad() carries over
    view.grad_fn = node
    view._output_nr = 0
    view._requires_grad = True


def _check_cast(src, dst, name):
    if _dtypes.category(src) > _dtypes.category(dst):
        raise RuntimeError(f"{name}: result type {src} can't be cast to the desired output type "
                           f"{dst}")


class RemovableHandle:
    """Handle returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        self._hooks = hooks
        self._hook = hook

    def remove(self):
        """Unregister the hook (no-op if already removed)."""
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _wrap(array, backend, requires_grad=False):
    """Fast internal constructor of a plain Tensor (see Tensor._make)."""
    t = _new(Tensor)
    t._data = array
    t._backend = backend
    t._requires_grad = requires_grad
    t._grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._vc = [0]
    t._base = None
    t._hooks = None
    return t


def _normalize_dim(dim, ndim, name="dim"):
    """Map a possibly negative ``dim`` into ``[0, ndim)`` (0-d tensors accept 0 and -1)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, numpy.integer)):
        raise TypeError(f"{name}: dim must be an int, got {type(dim).__name__}")
    n = ndim if ndim > 0 else 1
    if dim < -n or dim >= n:
        raise IndexError(f"{name}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def is_tensor(obj):
    """True if ``obj`` is an autograd Tensor."""
    return isinstance(obj, Tensor)


# ----------------------------------------------------------------------
# repr, like PyTorch's
# ----------------------------------------------------------------------
def _float_formatter(arr):
    finite = arr[numpy.isfinite(arr)]
    nonzero = numpy.abs(finite[finite != 0]).astype(numpy.float64)
    int_mode = finite.size == 0 or bool(numpy.all(finite == numpy.round(finite)))
    sci = False
    if nonzero.size:
        amax, amin = float(nonzero.max()), float(nonzero.min())
        if int_mode:
            sci = amax / amin > 1000.0 or amax > 1e8
        else:
            sci = amax / amin > 1000.0 or amax > 1e8 or amin < 1e-4

    def fmt(v):
        v = float(v)
        if numpy.isnan(v):
            return "nan"
        if numpy.isinf(v):
            return "inf" if v > 0 else "-inf"
        if sci:
            return f"{v:.4e}"
        if int_mode:
            return f"{v:.0f}."
        return f"{v:.4f}"
    return fmt


def _format_tensor(t):
    data = t._data if t._backend.name == "cpu" else t._backend.to_numpy(t._data)
    data = numpy.asarray(data)
    dtype = data.dtype
    suffix = []
    if t._backend.name != "cpu":
        suffix.append(f"device='{t._backend.name}'")
    if data.size == 0:
        body = "[]"
        if data.ndim != 1:
            suffix.insert(0, f"size={tuple(data.shape)}")
    else:
        summarize = data.size > 1000
        # like PyTorch, the number format comes from the values that are shown
        shown = _edge_values(data) if summarize and data.ndim else data.ravel()
        if dtype.kind == "f":
            base = _float_formatter(shown)
        elif dtype.kind == "b":
            def base(v):
                return "True" if v else "False"
        else:
            def base(v):
                return str(int(v))
        if data.ndim == 0:
            body = base(data.item())
        else:
            if dtype.kind == "f":
                # like PyTorch: the width comes from the nonzero finite values only (1 when
                # there are none)
                finite = shown[numpy.isfinite(shown) & (shown != 0)]
                width = max((len(base(v)) for v in finite), default=1)
            else:
                width = max(len(base(v)) for v in shown)

            def fmt(v):
                return base(v).rjust(width)
            body = _nested_str(data, len("tensor("), summarize, fmt, width)
    if dtype not in (_dtypes.get_default_dtype(), _dtypes.int64, _dtypes.bool_) or (
            data.size == 0 and dtype != _dtypes.get_default_dtype()):   # PyTorch shows it then
        suffix.append(f"dtype={_dtypes.dtype_name(dtype)}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffix.append("requires_grad=True")
    # PyTorch's layout: a suffix that would pass 80 columns goes to a line of its own
    out = "tensor(" + body
    last_line = len(out) - out.rfind("\n") + 1
    for item in suffix:
        if last_line + len(item) + 2 > _LINE_WIDTH:
            out += ",\n" + " " * len("tensor(") + item
            last_line = len("tensor(") + len(item)
        else:
            out += ", " + item
            last_line += len(item) + 2
    return out + ")"


_LINE_WIDTH = 80
_EDGE_ITEMS = 3


def _nested_str(data, indent, summarize, fmt, width):
    """PyTorch's layout of a tensor's values: as many ``width``-wide elements per line as
    fit in 80 columns after ``indent``, rows of rows separated by blank lines, and
    ``...`` for the middle of long dims when summarizing."""
    n = data.shape[0]
    cut = summarize and n > 2 * _EDGE_ITEMS
    if data.ndim == 1:
        values = data[:_EDGE_ITEMS].tolist() + data[n - _EDGE_ITEMS:].tolist() if cut \
            else data.tolist()
        items = [fmt(v) for v in values]
        if cut:
            items.insert(_EDGE_ITEMS, " ...")
        per_line = max(1, (_LINE_WIDTH - indent) // (width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = list(range(_EDGE_ITEMS)) + [None] + list(range(n - _EDGE_ITEMS, n)) if cut \
        else range(n)
    parts = ["..." if i is None else _nested_str(data[i], indent + 1, summarize, fmt, width)
             for i in rows]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _edge_values(data, edge=3):
    """The values a summarized print shows: the first and last ``edge`` along every dim."""
    idx = [numpy.r_[0:edge, n - edge:n] if n > 2 * edge else numpy.arange(n)
           for n in data.shape]
    return numpy.asarray(data[numpy.ix_(*idx)]).ravel()


# hand the fast constructors to the graph machinery
_function._Tensor = Tensor
_function._wrap = _wrap
_engine._Tensor = Tensor
_engine._wrap = _wrap


# ----------------------------------------------------------------------
# the one table of Tensor methods and operators (they route to autograd.ops)
# ----------------------------------------------------------------------
def _install_methods():
    from . import ops

    def reflected(fn):
        def m(self, other):
            return fn(other, self)
        m.__name__ = "r" + fn.__name__
        return m

    def compare(fn):
        def m(self, other):
            if other is None or isinstance(other, (str, list, tuple, dict, set)):
                return NotImplemented
            return fn(self, other)
        return m

    table = {
        # operators
        "__add__": ops.add, "__radd__": ops.add,
        "__sub__": ops.sub, "__rsub__": reflected(ops.sub),
        "__mul__": ops.mul, "__rmul__": ops.mul,
        "__truediv__": ops.div, "__rtruediv__": reflected(ops.div),
        "__floordiv__": ops.floor_divide, "__rfloordiv__": reflected(ops.floor_divide),
        "__mod__": ops.remainder, "__rmod__": reflected(ops.remainder),
        "__pow__": ops.pow, "__rpow__": reflected(ops.pow),
        "__matmul__": ops.matmul, "__rmatmul__": reflected(ops.matmul),
        "__neg__": ops.neg, "__abs__": ops.abs, "__pos__": lambda self: self,
        "__eq__": compare(ops.eq), "__ne__": compare(ops.ne), "__lt__": compare(ops.lt),
        "__le__": compare(ops.le), "__gt__": compare(ops.gt), "__ge__": compare(ops.ge),
        "__and__": ops.bitwise_and, "__or__": ops.bitwise_or, "__xor__": ops.bitwise_xor,
        "__rand__": reflected(ops.bitwise_and), "__ror__": reflected(ops.bitwise_or),
        "__rxor__": reflected(ops.bitwise_xor), "__invert__": ops.bitwise_not,
        # elementwise
        "add": ops.add, "sub": ops.sub, "subtract": ops.sub, "mul": ops.mul,
        "multiply": ops.mul, "div": ops.div, "divide": ops.div, "true_divide": ops.div,
        "floor_divide": ops.floor_divide, "remainder": ops.remainder, "pow": ops.pow,
        "neg": ops.neg, "negative": ops.neg, "exp": ops.exp, "log": ops.log, "log1p": ops.log1p,
        "expm1": ops.expm1, "sqrt": ops.sqrt, "rsqrt": ops.rsqrt, "sin": ops.sin, "cos": ops.cos,
        "abs": ops.abs, "absolute": ops.abs, "sign": ops.sign, "reciprocal": ops.reciprocal,
        "square": ops.square, "erf": ops.erf, "floor": ops.floor, "ceil": ops.ceil,
        "round": ops.round, "clamp": ops.clamp, "clip": ops.clamp, "maximum": ops.maximum,
        "minimum": ops.minimum, "clone": ops.clone,
        "eq": ops.eq, "ne": ops.ne, "lt": ops.lt, "le": ops.le, "gt": ops.gt, "ge": ops.ge,
        "logical_and": ops.logical_and, "logical_or": ops.logical_or,
        "logical_xor": ops.logical_xor, "logical_not": ops.logical_not,
        "isnan": ops.isnan, "isinf": ops.isinf, "isfinite": ops.isfinite,
        "allclose": ops.allclose, "equal": ops.equal,
        # activations
        "relu": ops.relu, "sigmoid": ops.sigmoid, "tanh": ops.tanh, "softmax": ops.softmax,
        "log_softmax": ops.log_softmax,
        # reductions
        "sum": ops.sum, "mean": ops.mean, "var": ops.var, "std": ops.std, "prod": ops.prod,
        "logsumexp": ops.logsumexp, "norm": ops.norm, "max": ops.max, "min": ops.min,
        "amax": ops.amax, "amin": ops.amin, "argmax": ops.argmax, "argmin": ops.argmin,
        "all": ops.all, "any": ops.any,
        # shape
        "reshape": ops.reshape, "view": ops.view, "flatten": ops.flatten,
        "squeeze": ops.squeeze, "unsqueeze": ops.unsqueeze, "transpose": ops.transpose,
        "swapaxes": ops.swapaxes, "swapdims": ops.swapdims, "t": ops.t, "permute": ops.permute,
        "expand": ops.expand,
        "expand_as": ops.expand_as, "broadcast_to": ops.broadcast_to, "repeat": ops.repeat,
        "split": ops.split, "chunk": ops.chunk, "unbind": ops.unbind, "flip": ops.flip,
        "movedim": ops.movedim, "narrow": ops.narrow, "select": ops.select,
        "gather": ops.gather,
        # linear algebra
        "matmul": ops.matmul, "mm": ops.mm, "bmm": ops.bmm, "dot": ops.dot, "outer": ops.outer,
        "inner": ops.inner, "ger": ops.ger,
    }
    for name, fn in table.items():
        setattr(Tensor, name, fn)

    def where_method(self, condition, other):
        """``ag.where(condition, self, other)`` (PyTorch's method order)."""
        return ops.where(condition, self, other)
    Tensor.where = where_method

    def view_as(self, other):
        """``self.view(other.shape)``."""
        return ops.view(self, other.shape)
    Tensor.view_as = view_as

    def inplace(name, fn):
        def m(self, *args, **kwargs):
            return self._inplace(name, lambda s: fn(s, *args, **kwargs))
        m.__name__ = name
        m.__doc__ = f"In-place version of :meth:`{name[:-1]}`."
        return m
    for base in ("neg", "exp", "log", "sqrt", "sigmoid", "tanh", "relu", "abs", "sin", "cos",
                 "reciprocal", "square", "floor", "ceil", "round", "sign"):
        setattr(Tensor, base + "_", inplace(base + "_", table[base]))
    def masked_fill(self, mask, value):
        """``value`` where the bool ``mask`` holds (broadcast), else self (differentiable)."""
        if not isinstance(mask, Tensor) or mask.dtype.kind != "b":
            raise TypeError("masked_fill: mask must be a bool Tensor")
        if isinstance(value, Tensor):
            value = value.to(self.dtype)
        out = ops.where(mask, value, self)
        if out.shape != self.shape:
            raise RuntimeError(f"masked_fill: mask of shape {tuple(mask.shape)} does not "
                               f"broadcast to the tensor's shape {tuple(self.shape)}")
        return out
    Tensor.masked_fill = masked_fill
    def masked_fill_(self, mask, value):
        """In place: ``value`` where the bool ``mask`` holds."""
        return self._inplace("masked_fill_", lambda s: masked_fill(s, mask, value))
    Tensor.masked_fill_ = masked_fill_

    def _new(factory):
        def m(self, *args, dtype=None, device=None, requires_grad=False):
            return factory(*args, dtype=self.dtype if dtype is None else dtype,
                           device=self.device if device is None else device,
                           requires_grad=requires_grad)
        m.__name__ = "new_" + factory.__name__
        m.__doc__ = (f"``ag.{factory.__name__}(...)`` with this tensor's dtype and device "
                     "(unless given).")
        return m
    Tensor.new_zeros = _new(ops.zeros)
    Tensor.new_ones = _new(ops.ones)
    Tensor.new_empty = _new(ops.empty)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        """``ag.full(size, fill_value)`` with this tensor's dtype and device (unless given)."""
        return ops.full(size, fill_value, dtype=self.dtype if dtype is None else dtype,
                        device=self.device if device is None else device,
                        requires_grad=requires_grad)
    Tensor.new_full = new_full

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """``ag.tensor(data)`` with this tensor's dtype and device (unless given)."""
        return ops.tensor(data, dtype=self.dtype if dtype is None else dtype,
                          device=self.device if device is None else device,
                          requires_grad=requires_grad)
    Tensor.new_tensor = new_tensor

    def _fill_random(self, name, draw):
        self._check_inplace(name)
        host = numpy.asarray(draw(self.shape), dtype=self.dtype)
        self._data[...] = host if self._backend.name == "cpu" else self._backend.from_numpy(host)
        self._vc[0] += 1
        return self

    def uniform_(self, a=0.0, b=1.0):
        """In place: uniform random values in ``[a, b)`` from the global generator."""
        return _fill_random(self, "uniform_", lambda shape: _random.generator().uniform(
            a, b, shape))

    def normal_(self, mean=0.0, std=1.0):
        """In place: normal random values from the global generator."""
        return _fill_random(self, "normal_", lambda shape: _random.generator().normal(
            mean, std, shape))
    Tensor.uniform_ = uniform_
    Tensor.normal_ = normal_
    def unsqueeze_(self, dim):
        """In place: insert a dim of size 1 at ``dim``."""
        return _reshape_inplace(self, ops.unsqueeze(self, dim))

    def squeeze_(self, dim=None):
        """In place: remove dims of size 1."""
        return _reshape_inplace(self, ops.squeeze(self, dim))

    def reshape_as(self, other):
        """``self.reshape(other.shape)``."""
        return ops.reshape(self, other.shape)
    Tensor.unsqueeze_ = unsqueeze_
    Tensor.squeeze_ = squeeze_
    Tensor.reshape_as = reshape_as


def _reshape_inplace(self, result):
    self._data = result._data
    if result.grad_fn is not None:
        self.grad_fn = result.grad_fn
        self._output_nr = result._output_nr
    return self


_install_methods()

# module references for the methods above (bound once, not imported per call)
from .ops import elementwise as E  # noqa: E402
from .ops import indexing as _indexing  # noqa: E402
_getitem = _indexing.getitem
from .ops import linalg as _linalg  # noqa: E402
