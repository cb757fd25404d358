"""Functions: one class per operation, forward and backward side by side.

Every differentiable operation -- the built-in ones and users' custom ones --
is a subclass of :class:`Function` with two static methods::

    class MyOp(ag.Function):
        @staticmethod
        def forward(ctx, *args): ...        # compute the result
        @staticmethod
        def backward(ctx, *grads): ...      # one gradient per forward argument

and is called as ``MyOp.apply(*args)``.  ``apply`` decides whether to record:
when grad mode is on and some Tensor argument requires grad, the ``ctx``
object becomes the graph node (``out.grad_fn``), linked to the nodes of the
inputs; otherwise nothing is recorded.  The engine later calls
``backward(ctx, *grads)`` once per node with the summed gradients of its
outputs, under grad mode == ``create_graph``.

The contract (read this before writing an op)
---------------------------------------------
**Custom Functions (``ag.Function``, PyTorch's contract).**  ``forward``
receives the arguments exactly as given to ``apply`` (Tensors stay Tensors)
and runs under ``no_grad``; it returns a Tensor or a tuple of Tensors.
``ctx.save_for_backward(*tensors)`` keeps Tensors for backward;
``ctx.saved_tensors`` returns them (checking their version counters);
``ctx.needs_input_grad`` is a tuple of bools, one per forward argument;
``ctx.mark_non_differentiable(*outputs)`` and
``ctx.set_materialize_grads(False)`` behave as in PyTorch.  ``backward``
receives one gradient Tensor per output and returns one gradient (Tensor or
None) per forward argument.

**Built-in ops (:class:`ArrayFunction`, the same mechanism, a faster
forward).**  The built-ins subclass ``ArrayFunction``, a ``Function`` whose
``forward(ctx, backend, *arrays, *config)`` receives the inputs' backend
object (math goes through ``backend.xp`` and backend kernels, never numpy
directly) and the *raw device arrays* of its Tensor arguments, and returns raw
arrays, so no temporary Tensors are built on the hot path:

* the first ``num_inputs`` arguments of ``apply`` are Tensors (the op's
  wrapper converts numbers and ndarrays first); the rest are plain
  configuration values passed through unchanged (dims, scalars, ...).
  ``num_inputs = None`` means variadic: ``apply(list_of_tensors, *config)``
  and forward gets ``(ctx, backend, list_of_arrays, *config)``;
* class attributes declare what backward needs: ``save_inputs`` (indices of
  input Tensors to save) and ``save_output`` (save the result); they come
  back, as Tensors, from ``ctx.saved_tensors`` (inputs first, then the output);
  small non-tensor facts (shapes, dims) go in ``__slots__`` attributes of ctx;
* ``backward`` is written with differentiable Tensor operations, so
  ``create_graph=True`` gives higher-order gradients.  A backward may take a
  fast path on raw arrays (a fused kernel such as ``backend.relu_backward``,
  or plain ``backend.xp`` arithmetic wrapped with ``Tensor._make``) only when
  ``ag.is_grad_enabled()`` is False -- the engine's mode for
  ``create_graph=False`` -- and must otherwise use its differentiable formula
  (or raise, see :func:`once_differentiable`);
* ``backward`` returns one gradient per input Tensor (``None`` where
  ``ctx.needs_input_grad[i]`` is False); ``ctx.needs_input_grad`` has one entry
  per input Tensor;
* ``multi_output = True`` when forward returns a tuple of arrays;
  ``non_differentiable = (i, ...)`` lists outputs that never get a grad
  (e.g. ``max``'s indices);
* ``is_view = True`` when the output shares memory with input 0 (reshape,
  transpose, basic indexing, ...): it then shares input 0's version counter and
  is registered with its root base, so that an in-place change of the base (or
  of another view) gives it a new grad_fn (see ``Tensor._inplace``).

When nothing is recorded, ``forward`` gets a shared scratch ``ctx`` whose
attributes are never read, so an op must not rely on ctx state outside
backward.

The complete example every built-in copies (``Mul`` in ops/elementwise.py)::

    class Mul(ArrayFunction):
        __slots__ = ()
        num_inputs = 2
        save_inputs = (0, 1)

        @staticmethod
        def forward(ctx, backend, a, b):   # the inputs' backend, raw arrays
            return a * b                   # (use backend.xp / backend kernels for math)

        @staticmethod
        def backward(ctx, grad):           # Tensors in, Tensors out
            a, b = ctx.saved_tensors
            ga = unbroadcast(grad * b, a.shape) if ctx.needs_input_grad[0] else None
            gb = unbroadcast(grad * a, b.shape) if ctx.needs_input_grad[1] else None
            return ga, gb

    def mul(a, b):                         # the public function / Tensor.__mul__
        a, b = binary_operands(a, b, "mul")  # numbers/ndarrays -> Tensors, promotion, devices
        return Mul.apply(a, b)

``unbroadcast(grad, shape)`` (sum a broadcast gradient back to ``shape``,
differentiably) lives in :mod:`autograd.ops.reduction` and is importable
as ``from autograd.ops import unbroadcast``.

A custom Function, PyTorch-style::

    class Cube(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    y = Cube.apply(ag.tensor([2.0], requires_grad=True))
"""

from weakref import ref as _weakref

from numpy import ndarray as _ndarray, may_share_memory as _may_share_memory

from . import grad_mode as _grad_mode

_state = _grad_mode._state
_Tensor = None  # set by autograd.tensor at import (avoids an import cycle)
_wrap = None    # tensor._wrap(array, backend, requires_grad)


class _ScratchContext:
    """The ``ctx`` handed to built-in forwards when nothing is recorded."""

    __slots__ = ("__dict__",)


_SCRATCH = _ScratchContext()


#: Raised by a backward through a node whose saved state an earlier backward freed.
FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


class Function:
    """Base class of graph nodes and custom differentiable operations.

    Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx,
    *grads)`` and call ``YourOp.apply(*args)``; see the module docstring for the
    full contract.  An instance is both the ``ctx`` of one call and the node
    ``out.grad_fn`` of the graph.

    Example::

        >>> class Double(ag.Function):
        ...     @staticmethod
        ...     def forward(ctx, x): return x * 2
        ...     @staticmethod
        ...     def backward(ctx, g): return g * 2
        >>> x = ag.tensor([1.0, 2.0], requires_grad=True)
        >>> Double.apply(x).sum().backward(); x.grad
        tensor([2., 2.])
    """

    __slots__ = ("_next", "_saved", "_saved_versions", "_saved_output", "needs_input_grad",
                 "_num_outputs", "_out_meta", "_pre_hooks", "_retained", "_freed",
                 "_input_meta", "_materialize", "_nondiff", "_backend", "__weakref__")

    # Defaults for the class; instances only set what differs.
    save_inputs = ()
    save_output = False
    multi_output = False
    non_differentiable = ()
    is_view = False
    num_inputs = 1
    #: True for ops whose ctx keeps a scalar for backward that PyTorch saves as a tensor
    #: (``x * c``, ``x / c``): a second backward through them without retain_graph raises.
    saves_scalar = False
    _is_user = True

    # ------------------------------------------------------------------
    # the user-facing ctx API
    # ------------------------------------------------------------------
    def save_for_backward(self, *tensors):
        """Keep ``tensors`` (Tensors or None) for backward; they are checked for in-place changes."""
        for t in tensors:
            if t is not None and not isinstance(t, _Tensor):
                raise TypeError("save_for_backward can only save Tensors or None, got "
                                f"{type(t).__name__}")
        self._saved = tensors
        self._saved_versions = tuple(None if t is None else t._vc[0] for t in tensors)

    @property
    def saved_tensors(self):
        """The saved Tensors, after checking that none was modified in place since."""
        saved = self._saved
        if saved is None:
            if getattr(self, "_freed", False):
                raise RuntimeError(FREED_GRAPH_MESSAGE)
            saved = ()
        else:
            versions = self._saved_versions
        for i, t in enumerate(saved):
            if t is not None and t._vc[0] != versions[i]:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{self.name()}] saved tensor {i} (shape "
                    f"{tuple(t.shape)}) is at version {t._vc[0]}; expected version "
                    f"{versions[i]} instead. Hint: clone() the tensor before modifying it "
                    "in place, or do the modification out of place.")
        out = self._saved_output
        if out is not None:
            array, vc, version, nr = out
            if vc[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{self.name()}] output {nr} is at version {vc[0]}; "
                    f"expected version {version} instead. Hint: clone() the result before "
                    "modifying it in place.")
            t = _wrap(array, self._backend, True)
            t.grad_fn = self
            t._output_nr = nr
            t._vc = vc
            return saved + (t,)
        return saved

    def mark_non_differentiable(self, *outputs):
        """Declare outputs (returned by forward) that have no gradient."""
        self._nondiff = tuple(outputs)

    def mark_dirty(self, *tensors):
        """Accepted for PyTorch compatibility; in-place custom forwards are not rebased."""

    def set_materialize_grads(self, value):
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self._materialize = bool(value)

    # ------------------------------------------------------------------
    # node API
    # ------------------------------------------------------------------
    #: the node's name when it differs from ``<ClassName>Backward0`` (PyTorch's names)
    backward_name = None

    @classmethod
    def _node_name(cls):
        if cls.backward_name is not None:
            return cls.backward_name
        return cls.__name__ + ("Backward" if cls._is_user else "Backward0")

    def name(self):
        """The node's name, e.g. ``MulBackward0`` (PyTorch's naming)."""
        return type(self)._node_name()

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        """``((node, output_nr), ...)`` per input: the node gradients flow to (a leaf
        Tensor stands for its accumulator; ``(None, 0)`` where no gradient flows)."""
        return tuple((None, 0) if e is None else e for e in self._next)

    def register_hook(self, fn):
        """Not supported on nodes; use ``Tensor.register_hook``."""
        raise RuntimeError("node hooks are not supported; register the hook on a Tensor "
                           "with tensor.register_hook(fn)")

    def _release(self):
        """Drop saved tensors after a backward that does not retain the graph."""
        if self._saved is not None or self._saved_output is not None:
            self._saved = None
            self._saved_output = None
            self._freed = True

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function subclass must define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must define a static backward(ctx, ...)")

    @classmethod
    def apply(cls, *args):
        """Run ``forward`` on ``args`` and, when grad mode is on and an input requires
        grad, record the call in the graph."""
        return _apply_user(cls, args)


def _check_devices(tensors, backend, name):
    for t in tensors:
        if t._backend is not backend:
            raise RuntimeError(
                "expected all tensors to be on the same device, but found at least two devices, "
                f"{backend.name} and {t._backend.name}! (in {name})")


def _init_node(ctx, edges, backend):
    ctx._next = edges
    ctx._saved = None
    ctx._saved_versions = None
    ctx._saved_output = None
    ctx._num_outputs = 1
    ctx._out_meta = None
    ctx._pre_hooks = None
    ctx._retained = None
    ctx._freed = False
    ctx._input_meta = None
    ctx._materialize = True
    ctx._nondiff = ()
    ctx._backend = backend


def _edge(t):
    """Where the gradient of input ``t`` goes: (node, output_nr), (leaf, 0) or None."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        return (t, 0)
    return None


def _apply_user(cls, args):
    """``Function.apply`` for custom Functions (Tensors in, Tensors out)."""
    Tensor = _Tensor
    tensors = [a for a in args if isinstance(a, Tensor)]
    backend = tensors[0]._backend if tensors else None
    if backend is not None:
        _check_devices(tensors, backend, cls.__name__)
    record = _state.enabled and any(t._requires_grad for t in tensors)
    ctx = cls.__new__(cls)
    _init_node(ctx, None, backend)
    # whether each input requires grad, also under no_grad (as PyTorch's)
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
    prev = _state.enabled
    _state.enabled = False
    try:
        result = cls.forward(ctx, *args)
    finally:
        _state.enabled = prev
    is_tuple = isinstance(result, tuple)
    outputs = result if is_tuple else (result,)
    for o in outputs:
        if o is not None and not isinstance(o, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return Tensors (or a tuple of them), "
                            f"got {type(o).__name__}")
    if not record:
        ctx._saved = None
        return result
    ctx._next = tuple(_edge(a) if isinstance(a, Tensor) else None for a in args)
    ctx._input_meta = tuple((a.shape, a.dtype) if isinstance(a, Tensor) else None for a in args)
    nondiff_ids = {id(o) for o in ctx._nondiff}
    new_outputs = []
    input_ids = {id(t) for t in tensors}
    for nr, o in enumerate(outputs):
        if o is None:
            new_outputs.append(None)
            continue
        if id(o) in input_ids:
            # forward returned an input as is: the output is a new Tensor on the same data
            alias = _wrap(o._data, o._backend, False)
            alias._vc = o._vc
            o = alias
        if id(outputs[nr]) in nondiff_ids or not o.dtype.kind == "f":
            o._requires_grad = False
        else:
            o._requires_grad = True
            o.grad_fn = ctx
            o._output_nr = nr
        new_outputs.append(o)
    ctx._num_outputs = len(outputs)
    ctx._out_meta = tuple(None if o is None else (o.shape, o.dtype) for o in new_outputs)
    if is_tuple:
        return tuple(new_outputs)
    return new_outputs[0]


class ArrayFunction(Function):
    """Base of the built-in ops: ``forward`` works on raw device arrays.

    Same node class, same engine and same saved-tensor checks as
    :class:`Function`; see the module docstring for the contract
    (``num_inputs``, ``save_inputs``, ``save_output``, ``multi_output``,
    ``non_differentiable``, ``is_view``).  The class attributes are read once,
    when the subclass is created: set them in the class body.
    """

    __slots__ = ()
    _is_user = False

    def __init_subclass__(cls, **kwargs):
        # Each op gets its own ``apply`` with the class constants (forward, num_inputs,
        # save_*) bound in a closure. Looking them up on the class, plus building the bound
        # classmethod, was about a tenth of an op's cost on tiny tensors.
        super().__init_subclass__(**kwargs)
        cls.apply = staticmethod(_make_apply(cls))

    @classmethod
    def apply(cls, *args):
        """Run the op on Tensor inputs (then config args); record when needed."""
        return _apply_array(cls, args)


def _make_apply(cls):
    """The ``apply`` of ArrayFunction subclass ``cls``: a fast path for one or two inputs
    and one output, :func:`_apply_array` for everything else."""
    n = cls.num_inputs
    if cls.multi_output or n not in (1, 2) or (n == 2 and cls.is_view):
        def apply(*args):
            return _apply_array(cls, args)
        return apply
    forward = cls.forward
    save_inputs = cls.save_inputs
    save_output = cls.save_output
    if n == 1:
        return _unary_apply(cls, forward, bool(save_inputs), save_output, cls.is_view)
    return _binary_apply(cls, forward, save_inputs, save_output)


# _unary_apply and _binary_apply set the node's common fields inline, each its own copy of
# the same few lines: a shared helper would add a Python call (~200 instructions, over 1% of
# a small op) to every recorded op, which is what these closures exist to avoid.
def _unary_apply(cls, forward, save_input, save_output, is_view):
    def apply(x, *config):
        backend = x._backend
        record = x._requires_grad and _state.enabled
        ctx = cls() if record else _SCRATCH
        out = forward(ctx, backend, x._data, *config) if config else \
            forward(ctx, backend, x._data)
        if out.ndim == 0 and not backend.is_array(out):
            out = backend.xp.asarray(out)   # numpy ufuncs turn 0-d arrays into scalars
        t = _wrap(out, backend, record)
        if is_view:
            _share_version((t,), x)
        if not record:
            return t
        fn = x.grad_fn
        ctx._next = ((fn, x._output_nr) if fn is not None else (x, 0),)
        ctx.needs_input_grad = _TRUE1
        ctx._backend = backend
        ctx._pre_hooks = None
        ctx._retained = None
        ctx._freed = False
        ctx._num_outputs = 1
        if save_input:
            ctx._saved = (x,)
            ctx._saved_versions = (x._vc[0],)
        else:
            ctx._saved = None
        t.grad_fn = ctx
        if save_output:
            ctx._saved_output = (out, t._vc, t._vc[0], 0)
        else:
            ctx._saved_output = None
        return t
    return apply


def _binary_apply(cls, forward, save_inputs, save_output):
    save_both = len(save_inputs) == 2
    save_one = save_inputs[0] if len(save_inputs) == 1 else None

    def apply(a, b, *config):
        backend = a._backend
        if b._backend is not backend:
            _check_devices((b,), backend, cls.__name__)
        ra = a._requires_grad
        rb = b._requires_grad
        record = (ra or rb) and _state.enabled
        ctx = cls() if record else _SCRATCH
        out = forward(ctx, backend, a._data, b._data, *config) if config else \
            forward(ctx, backend, a._data, b._data)
        if out.ndim == 0 and not backend.is_array(out):
            out = backend.xp.asarray(out)
        t = _wrap(out, backend, record)
        if not record:
            return t
        fa = a.grad_fn
        fb = b.grad_fn
        ctx._next = ((fa, a._output_nr) if fa is not None else ((a, 0) if ra else None),
                     (fb, b._output_nr) if fb is not None else ((b, 0) if rb else None))
        ctx.needs_input_grad = (ra, rb)
        ctx._backend = backend
        ctx._pre_hooks = None
        ctx._retained = None
        ctx._freed = False
        ctx._num_outputs = 1
        if save_both:
            ctx._saved = (a, b)
            ctx._saved_versions = (a._vc[0], b._vc[0])
        elif save_one is not None:
            t0 = b if save_one else a
            ctx._saved = (t0,)
            ctx._saved_versions = (t0._vc[0],)
        else:
            ctx._saved = None
        t.grad_fn = ctx
        if save_output:
            ctx._saved_output = (out, t._vc, t._vc[0], 0)
        else:
            ctx._saved_output = None
        return t
    return apply


def _apply_array(cls, args):
    """``apply`` of a built-in op in general: any number of inputs and outputs, views."""
    n = cls.num_inputs
    if n is None:       # variadic: a sequence of Tensors then config args
        tensors = tuple(args[0])
        rest = args[1:]
    else:
        tensors = args[:n]
        rest = args[n:]
    if not tensors:
        raise ValueError(f"{cls.__name__}: expected at least one tensor")
    backend = tensors[0]._backend
    _check_devices(tensors, backend, cls.__name__)
    arrays = [t._data for t in tensors]
    record = _state.enabled and any(t._requires_grad for t in tensors)
    ctx = cls() if record else _SCRATCH
    out = cls.forward(ctx, backend, arrays, *rest) if n is None else \
        cls.forward(ctx, backend, *arrays, *rest)
    if record:
        return _record_general(cls, ctx, tensors, backend, out)
    if cls.multi_output:
        outs = tuple([_wrap(o, backend, False) for o in out])
    else:
        if out.ndim == 0 and not backend.is_array(out):
            out = backend.xp.asarray(out)
        outs = (_wrap(out, backend, False),)
    if cls.is_view:
        _share_version(outs, tensors[0])
    return outs if cls.multi_output else outs[0]


def _share_version(views, x):
    """Views of ``x`` share its version counter and its root base.  An output that does
    not share ``x``'s memory after all (numpy's reshape copies when it must) stays a
    tensor of its own.  Views made in grad mode are registered, weakly, with the root
    base, so that an in-place change of the base or of another view regenerates their
    grad_fn (``Tensor._inplace``); views of a leaf that requires grad are not, since
    such a base cannot be changed in place inside the graph."""
    base = x._base
    if base is None:
        base = x
        multi = None
    else:   # views of a split/unbind output are named by their own op in the errors
        multi = None if x._multi_view is None else (None, 0)
    xd = x._data
    xb = xd.base
    register = _state.enabled and (base.grad_fn is not None or not base._requires_grad)
    for t in views:
        td = t._data
        tb = td.base
        if tb is not xd and (tb is None or tb is not xb) and not _shares_memory(td, xd):
            continue
        t._vc = x._vc
        t._base = base
        t._multi_view = multi   # always set on views (Tensor._mark_multi_view)
        if register:
            try:
                refs = base._views
            except AttributeError:
                refs = base._views = []
            refs.append(_weakref(t))
            n = len(refs)
            if n >= 16 and not n & (n - 1):   # drop dead references now and then
                refs[:] = [r for r in refs if r() is not None]


def _shares_memory(a, b):
    """False when host arrays ``a`` and ``b`` cannot share memory (other devices: True)."""
    if isinstance(a, _ndarray) and isinstance(b, _ndarray):
        return bool(_may_share_memory(a, b))
    return True


_TRUE1 = (True,)


def _record_general(cls, ctx, tensors, backend, out):
    """Record a node for any number of inputs and outputs (the slower general path)."""
    if not cls.multi_output and out.ndim == 0 and not backend.is_array(out):
        out = backend.xp.asarray(out)
    ctx._next = tuple([_edge(t) for t in tensors])
    ctx.needs_input_grad = tuple([t._requires_grad for t in tensors])
    ctx._backend = backend
    ctx._pre_hooks = None
    ctx._retained = None
    ctx._freed = False
    save = cls.save_inputs
    if save:
        saved = tuple([tensors[i] for i in save])
        ctx._saved = saved
        ctx._saved_versions = tuple([t._vc[0] for t in saved])
    else:
        ctx._saved = None
    if cls.multi_output:
        nondiff = cls.non_differentiable
        outs = []
        for nr, o in enumerate(out):
            if nr in nondiff:
                outs.append(_wrap(o, backend, False))
            else:
                t = _wrap(o, backend, True)
                t.grad_fn = ctx
                t._output_nr = nr
                outs.append(t)
        ctx._num_outputs = len(outs)
        ctx._out_meta = tuple([(o.shape, o.dtype) for o in out])
        ctx._materialize = True
        ctx._saved_output = None
        if cls.is_view:
            _share_version(outs, tensors[0])
        return tuple(outs)
    ctx._num_outputs = 1
    t = _wrap(out, backend, True)
    t.grad_fn = ctx
    if cls.is_view:
        _share_version((t,), tensors[0])
    if cls.save_output:
        ctx._saved_output = (out, t._vc, t._vc[0], 0)
    else:
        ctx._saved_output = None
    return t


def once_differentiable(backward):
    """Decorator for a custom ``backward`` that is not itself differentiable.

    Under ``create_graph=True`` the decorated backward raises instead of
    returning a gradient with a silently wrong (missing) graph.
    """
    import functools

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        if _state.enabled:   # the engine enables grad mode only for create_graph=True
            raise RuntimeError(
                f"{type(ctx).__name__}'s backward is marked once_differentiable: it cannot be "
                "used with create_graph=True (double backward)")
        return backward(ctx, *grads)
    return wrapper


def renamed(cls, name):
    """The built-in op ``cls`` under another node name: PyTorch names a node after the
    operation the user called (``x.transpose`` gives TransposeBackward0, ``x.sum(0)``
    SumBackward1), where several of ours share one implementation."""
    return type(f"{cls.__name__}_{name}", (cls,), {"backward_name": name, "__slots__": ()})


__all__ = ["Function", "ArrayFunction", "once_differentiable", "renamed"]
