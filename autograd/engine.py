"""The reverse-mode engine: runs the recorded graph backwards.

Given root tensors and their gradients, :func:`run_backward`

1. walks the graph from the roots (iteratively, with an explicit stack, so a
   chain of any length works) and counts, for every node, how many edges
   lead into it;
2. runs nodes from a ready list: a node runs once, after every consumer has
   passed its gradient on (its count reached zero), with the gradients of each
   of its outputs summed; tensor hooks and ``retain_grad`` see that sum first;
3. passes each returned gradient along the node's edges, to the producing node
   of that input, or to the leaf tensor, which accumulates it into ``.grad``;
4. frees each node's saved tensors after it ran unless ``retain_graph``.

Backward formulas run with grad mode equal to ``create_graph``: off, nothing
is recorded (fast); on, the backward pass is itself a graph, which gives
higher-order gradients.

Edges are ``(node, output_nr)`` pairs, or ``(leaf_tensor, 0)`` for a leaf
that requires grad; a leaf acts as its own gradient accumulator.

Example::

    >>> x = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> (gx,) = ag.grad((x ** 3).sum(), x, create_graph=True)
    >>> (gxx,) = ag.grad(gx.sum(), x)       # 6 x
"""

from sys import getrefcount as _getrefcount

from numpy import array as _np_array, generic as _np_generic

from . import grad_mode as _grad_mode
from .function import FREED_GRAPH_MESSAGE, Function, _edge

_state = _grad_mode._state
_Tensor = None  # set by autograd.tensor
_wrap = None


def _as_gradient(value, like, what):
    """Convert a user-given gradient to a Tensor matching ``like`` (shape checked)."""
    Tensor = _Tensor
    if value is None:
        return None
    if not isinstance(value, Tensor):
        import numbers
        if isinstance(value, numbers.Number):
            value = _wrap(like._backend.xp.full(like.shape, value, dtype=like.dtype),
                          like._backend, False)
        else:
            value = _wrap(like._backend.asarray(like._backend.from_numpy(value)
                                                if not like._backend.is_array(value) else value,
                                                dtype=like.dtype),
                          like._backend, False)
    if value._backend is not like._backend:
        raise RuntimeError(f"{what} is on device {value.device} but the output is on "
                           f"{like.device}; move it with .to({like.device!r})")
    if value.shape != like.shape:
        raise RuntimeError(f"Mismatch in shape: {what} has a shape of {tuple(value.shape)} "
                           f"and the output has a shape of {tuple(like.shape)}")
    if value.dtype != like.dtype:
        value = value.to(like.dtype)
    return value


def _zeros_for(meta, backend):
    shape, dtype = meta
    return _wrap(backend.xp.zeros(shape, dtype=dtype), backend, False)


# References to a gradient Tensor that only the engine holds when it reaches a leaf: the
# buffer list, run_backward's local, _accumulate_leaf's argument and getrefcount's.
_STEAL_MAX_TENSOR_REFS = 4


def _as_array_gradient(g):
    """``g`` holding an array in place of a NumPy scalar (the same value): NumPy returns
    scalars from operations on 0-d arrays, and a gradient is written in place later
    (zero_grad, the optimizers' kernels, ``grad.zero_()``), which a scalar would silently
    ignore."""
    g._data = _np_array(g._data)
    return g


def _accumulate_leaf(leaf, g, create_graph):
    """Add gradient ``g`` into ``leaf.grad`` (PyTorch's AccumulateGrad)."""
    old = leaf._grad
    if create_graph:
        leaf._grad = g if old is None else old + g
        return
    if g.requires_grad or g.grad_fn is not None:
        g = g.detach()
    data = g._data
    if data.dtype != leaf._data.dtype:
        data = data.astype(leaf._data.dtype)
    if old is None:
        # Take the array when nothing else can see it (PyTorch's AccumulateGrad
        # steals a gradient whose use count is 1): a fresh, writeable array that
        # owns its memory, referenced only by `g` (here: g._data, `data` and
        # getrefcount's argument), with `g` itself held only by the engine's
        # buffer and locals.  Otherwise copy: the array may be shared with
        # another leaf's gradient, the user's `gradient` argument, a hook's
        # list, or be a read-only broadcast view.
        if (data is g._data and data.flags.owndata and data.flags.writeable
                and _getrefcount(data) <= 3 and _getrefcount(g) <= _STEAL_MAX_TENSOR_REFS):
            leaf._grad = _wrap(data, leaf._backend, False)
        else:
            leaf._grad = _wrap(data.copy(), leaf._backend, False)
    elif old.grad_fn is None and not old._requires_grad and old._data.flags.writeable \
            and old._data.shape == data.shape:
        old._data += data
        old._vc[0] += 1
    else:
        leaf._grad = _wrap(old._data + data, leaf._backend, False)


def _run_hooks(hooks, g):
    for hook in list(hooks):
        result = hook(g)
        if result is not None:
            if not isinstance(result, _Tensor):
                raise TypeError(f"a tensor hook must return a Tensor or None, got "
                                f"{type(result).__name__}")
            name = getattr(hook, "__name__", type(hook).__name__)
            if result.shape != g.shape:
                raise RuntimeError(f"hook '{name}' has changed the size of value (was "
                                   f"{tuple(g.shape)}, got {tuple(result.shape)})")
            if result.dtype != g.dtype:
                raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                                   f"{g.dtype}, got {result.dtype})")
            if result.device != g.device:
                raise RuntimeError(f"hook '{name}' has changed the device of value (was "
                                   f"{g.device}, got {result.device})")
            g = result
    return g


def _check_user_gradient(node, i, g):
    """Validate a gradient returned by a custom Function's backward."""
    meta = node._input_meta[i]
    if meta is None:
        return None
    if not isinstance(g, _Tensor):
        raise TypeError(f"{node.name()} returned a {type(g).__name__} as gradient {i}; "
                        "backward must return Tensors or None")
    shape, dtype = meta
    if g.shape != shape:
        from .ops.reduction import unbroadcast
        given = g.shape
        try:
            g = unbroadcast(g, shape)
        except Exception:
            g = None
        if g is None or g.shape != shape:
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index "
                               f"{i} - got {list(given)} but expected shape compatible with "
                               f"{list(shape)}")
    if g.dtype != dtype:
        g = g.to(dtype)
    return g


def _check_gradient_count(node, result, nxt):
    """Raise unless the extra entries of a backward's ``result`` (beyond one per input) are None."""
    if len(result) < len(nxt) or any(r is not None for r in result[len(nxt):]):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                           f"gradients (expected {len(nxt)}, got {len(result)})")


def _needed_nodes(start, deps, capture):
    """Nodes from which a captured edge is reachable (pruning for ag.grad)."""
    # Kahn order from the roots, then a reverse sweep.
    remaining = dict(deps)
    order = []
    ready = [n for n in start if remaining.get(n, 0) == 0]
    seen = set(ready)
    while ready:
        node = ready.pop()
        order.append(node)
        if isinstance(node, Function):
            for e in node._next:
                if e is None:
                    continue
                t = e[0]
                remaining[t] -= 1
                if remaining[t] == 0 and t not in seen:
                    seen.add(t)
                    ready.append(t)
    capture_nodes = {key[0] for key in capture}
    reaches = set(capture_nodes)   # nodes from which a captured edge is reachable
    must_run = set()               # nodes whose backward feeds such a node
    for node in reversed(order):
        if isinstance(node, Function):
            for e in node._next:
                if e is not None and e[0] in reaches:
                    reaches.add(node)
                    must_run.add(node)
                    break
    return must_run



def run_backward(roots, root_grads, retain_graph=False, create_graph=False, capture=None):
    """Backpropagate ``root_grads`` from ``roots`` through the graph.

    ``capture``: None to accumulate into leaves' ``.grad``; otherwise a dict
    whose keys are edges (``(node, nr)`` or ``(leaf, 0)``) -- their gradients
    are stored as the values and no ``.grad`` is touched (``ag.grad``).
    """
    buffers = {}
    start = []
    for i, (t, g) in enumerate(zip(roots, root_grads)):
        edge = _edge(t)
        if edge is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
        target, nr = edge
        buf = buffers.get(target)
        if buf is None:
            n = target._num_outputs if isinstance(target, Function) else 1
            buf = buffers[target] = [None] * n
        buf[nr] = g if buf[nr] is None else buf[nr] + g
        start.append(target)

    # 1. count incoming edges (iterative DFS)
    deps = {}
    seen = set(start)
    stack = list(seen)
    while stack:
        node = stack.pop()
        if not isinstance(node, Function):
            continue
        nxt = node._next
        if nxt is None:
            continue
        for e in nxt:
            if e is None:
                continue
            t = e[0]
            deps[t] = deps.get(t, 0) + 1
            if t not in seen:
                seen.add(t)
                stack.append(t)

    needed = _needed_nodes(list(dict.fromkeys(start)), deps, capture) if capture is not None \
        else None

    ready = [n for n in dict.fromkeys(start) if deps.get(n, 0) == 0]
    prev_mode = _state.enabled
    _state.enabled = bool(create_graph)
    try:
        while ready:
            node = ready.pop()
            buf = buffers.pop(node, None)
            if not isinstance(node, Function):
                # a leaf tensor: its accumulator
                g = buf[0] if buf is not None else None
                if g is None:
                    continue
                if node._hooks:
                    g = _run_hooks(node._hooks, g)
                if capture is not None:
                    key = (node, 0)
                    if key in capture:
                        capture[key] = g
                else:
                    _accumulate_leaf(node, g, create_graph)
                continue

            if buf is not None:
                hooks = node._pre_hooks
                if hooks:
                    for nr, fns in hooks.items():
                        if buf[nr] is not None and fns:
                            buf[nr] = _run_hooks(fns, buf[nr])
                retained = node._retained
                if retained:
                    for nr, ref in retained.items():
                        t = ref()
                        if t is not None and buf[nr] is not None:
                            g = buf[nr]
                            if not create_graph:
                                # a private copy: the array also flows on to other nodes
                                g = _wrap(g._data.copy(), g._backend, False)
                            t._grad = g if t._grad is None else t._grad + g
                if capture is not None:
                    for nr in range(len(buf)):
                        key = (node, nr)
                        if key in capture and buf[nr] is not None:
                            capture[key] = buf[nr]

            nxt = node._next
            run = buf is not None and (needed is None or node in needed)
            if run:
                if node._num_outputs == 1:
                    grads = buf
                    if grads[0] is None:
                        run = False
                else:
                    if all(g is None for g in buf):
                        run = False
                    else:
                        grads = list(buf)
                        if node._materialize:
                            for nr, g in enumerate(grads):
                                if g is None and node._out_meta[nr] is not None:
                                    grads[nr] = _zeros_for(node._out_meta[nr], node._backend)
            if run:
                if node._freed:
                    raise RuntimeError(FREED_GRAPH_MESSAGE)
                result = node.backward(node, *grads)
                if not isinstance(result, tuple):
                    result = (result,)
                if len(result) != len(nxt):
                    _check_gradient_count(node, result, nxt)
                if node._is_user:
                    result = [g if g is None or e is None else _check_user_gradient(node, i, g)
                              for i, (e, g) in enumerate(zip(nxt, result))]
                for e, g in zip(nxt, result):
                    if e is None:
                        continue
                    target, nr = e
                    if g is not None:
                        if isinstance(g._data, _np_generic):
                            g = _as_array_gradient(g)
                        tbuf = buffers.get(target)
                        if tbuf is None:
                            n = target._num_outputs if isinstance(target, Function) else 1
                            tbuf = buffers[target] = [None] * n
                        old = tbuf[nr]
                        if old is None:
                            tbuf[nr] = g
                        elif create_graph:
                            tbuf[nr] = old + g
                        else:   # plain arrays: no op dispatch for a sum nothing records
                            total = old._data + g._data
                            if isinstance(total, _np_generic):   # 0-d + 0-d: a NumPy scalar
                                total = _np_array(total)
                            tbuf[nr] = _wrap(total, g._backend, False)
                    left = deps[target] - 1
                    deps[target] = left
                    if left == 0:
                        ready.append(target)
                # the gradients now live in the buffers only: a leaf reached next can take
                # its array without a copy (see _accumulate_leaf)
                result = g = None
                if not retain_graph and (node._saved is not None or
                                         node._saved_output is not None or
                                         node.saves_scalar):
                    node._saved = None        # free what backward kept (Function._release)
                    node._saved_output = None
                    node._freed = True
            elif nxt is not None:
                for e in nxt:
                    if e is None:
                        continue
                    target = e[0]
                    left = deps[target] - 1
                    deps[target] = left
                    if left == 0:
                        ready.append(target)
    finally:
        _state.enabled = prev_mode


def _as_tuple(x):
    if isinstance(x, _Tensor):
        return (x,)
    if x is None:
        return ()
    return tuple(x)


def _make_root_grads(outputs, grad_outputs, where):
    grads = []
    for i, out in enumerate(outputs):
        if not isinstance(out, _Tensor):
            raise TypeError(f"{where}: expected Tensors as outputs, got {type(out).__name__}")
        g = grad_outputs[i] if grad_outputs is not None and i < len(grad_outputs) else None
        if g is None:
            if not out._requires_grad:
                raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                                   "have a grad_fn")
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (output {i} has "
                    f"shape {tuple(out.shape)}); pass a gradient of that shape, e.g. "
                    "y.backward(ag.ones_like(y))")
            g = _wrap(out._backend.xp.ones(out.shape, dtype=out.dtype), out._backend, False)
        else:
            g = _as_gradient(g, out, f"grad_output[{i}]" if where == "grad" else "gradient")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into leaves' ``.grad`` the gradients of ``tensors``.

    ``sum_i grad_tensors[i] . d tensors[i] / d leaf``; ``grad_tensors`` may be
    omitted for scalar outputs.  ``retain_graph`` defaults to ``create_graph``.
    With ``inputs``, only those tensors' ``.grad`` is accumulated.

    Example::

        >>> x = ag.tensor([1.0, 2.0], requires_grad=True)
        >>> ag.autograd_backward((x * x).sum())    # same as (x * x).sum().backward()
    """
    outputs = _as_tuple(tensors)
    if grad_tensors is not None and isinstance(grad_tensors, _Tensor):
        grad_tensors = (grad_tensors,)
    elif grad_tensors is not None:
        grad_tensors = tuple(grad_tensors)
        if len(grad_tensors) != len(outputs) and len(outputs) == 1:
            grad_tensors = (grad_tensors,) if not isinstance(grad_tensors[0], _Tensor) else \
                grad_tensors
    if retain_graph is None:
        retain_graph = create_graph
    root_grads = _make_root_grads(outputs, grad_tensors, "backward")
    if inputs is None:
        run_backward(outputs, root_grads, retain_graph, create_graph)
        return
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("backward: inputs= was given but is empty")
    capture = {}
    keys = []
    for t in inputs:
        key = _edge(t)
        if key is None:
            raise RuntimeError("backward: one of the inputs does not require grad")
        capture[key] = None
        keys.append(key)
    run_backward(outputs, root_grads, retain_graph, create_graph, capture)
    for t, key in zip(inputs, keys):
        g = capture[key]
        if g is not None:
            _accumulate_leaf(t, g, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, as a tuple (``.grad`` untouched).

    Computes ``sum_i grad_outputs[i] . d outputs[i] / d inputs[j]`` for every
    ``j``.  ``grad_outputs`` may be omitted for scalar outputs.  With
    ``create_graph=True`` the result is differentiable (higher-order
    derivatives).  An input the outputs do not depend on raises unless
    ``allow_unused=True`` (its gradient is then None, or zeros with
    ``materialize_grads=True``).

    Example::

        >>> x = ag.tensor(3.0, requires_grad=True)
        >>> (g,) = ag.grad(x ** 2, x, create_graph=True)   # 2x = 6
        >>> ag.grad(g, x)                                    # (tensor(2.),)
    """
    outputs = _as_tuple(outputs)
    single_input = isinstance(inputs, _Tensor)
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("grad requires at least one input tensor")
    if grad_outputs is not None:
        grad_outputs = (grad_outputs,) if isinstance(grad_outputs, _Tensor) else \
            tuple(grad_outputs)
        if len(grad_outputs) != len(outputs):
            raise RuntimeError(f"grad_outputs should be a sequence of length {len(outputs)} "
                               f"(one per output), got {len(grad_outputs)}")
    if allow_unused is None:
        allow_unused = materialize_grads
    for t in inputs:
        if not isinstance(t, _Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    root_grads = _make_root_grads(outputs, grad_outputs, "grad")
    capture = {}
    keys = []
    for t in inputs:
        key = _edge(t)
        capture[key] = None
        keys.append(key)
    run_backward(outputs, root_grads, retain_graph, create_graph, capture)
    result = []
    for t, key in zip(inputs, keys):
        g = capture[key]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = _wrap(t._backend.xp.zeros(t.shape, dtype=t.dtype), t._backend, False)
        elif not create_graph and (g.grad_fn is not None or g._requires_grad):
            g = g.detach()
        result.append(g)
    del single_input
    return tuple(result)


__all__ = ["backward", "grad", "run_backward"]
