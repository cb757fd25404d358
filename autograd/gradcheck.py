"""Finite-difference gradient checks: ``gradcheck`` and ``gradgradcheck``.

``gradcheck(fn, inputs)`` compares the Jacobian that backward computes with
central differences ``(f(x + eps) - f(x - eps)) / (2 eps)``, in float64 (float
inputs are converted), element by element: it passes when
``|analytical - numerical| <= atol + rtol * |numerical|`` everywhere and
otherwise raises :class:`GradcheckError` naming the worst element (input,
position, output position) and both values.

``gradgradcheck`` does the same for the backward pass itself: it checks the
gradient of ``grad_outputs . J`` with respect to the inputs and the
``grad_outputs``, which exercises ``create_graph=True``.

Example::

    >>> x = ag.randn(3, dtype=ag.float64, requires_grad=True)
    >>> ag.gradcheck(lambda t: (t * t).sum(), (x,))
    True
"""

import numpy

from . import dtypes as _dtypes
from .engine import grad as _grad
from .grad_mode import no_grad, enable_grad
from .tensor import Tensor, _wrap


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical gradients disagree."""


def _as_tuple(x):
    if isinstance(x, Tensor):
        return (x,)
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _prepare_inputs(inputs):
    out = []
    for x in _as_tuple(inputs):
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            y = x.detach().to(_dtypes.float64)
            if y is x or y._data is x._data:
                y = _wrap(x._data.astype(numpy.float64), x._backend)
            else:
                y = _wrap(y._data.copy(), y._backend)
            y._requires_grad = x.requires_grad
            out.append(y)
        else:
            out.append(x)
    return tuple(out)


def _host(t):
    return numpy.array(t._backend.to_numpy(t._data), dtype=numpy.float64, copy=True, order="C")


def _eval(fn, inputs):
    with no_grad():
        out = _as_tuple(fn(*inputs))
    return [(_host(o) if isinstance(o, Tensor) and o.dtype.kind == "f" else None) for o in out]


def _numerical_jacobians(fn, inputs, diff_idx, eps):
    """For each differentiable input, an array (input.numel, total_out_numel)."""
    base = _eval(fn, inputs)
    sizes = [0 if b is None else b.size for b in base]
    total = sum(sizes)
    jacs = []
    for i in diff_idx:
        x = inputs[i]
        n = x._data.size
        jac = numpy.zeros((n, total))
        host = _host(x)
        flat = host.reshape(-1)
        for k in range(n):
            orig = flat[k]
            flat[k] = orig + eps
            x._data[...] = x._backend.from_numpy(host) if x._backend.name != "cpu" else host
            plus = _eval(fn, inputs)
            flat[k] = orig - eps
            x._data[...] = x._backend.from_numpy(host) if x._backend.name != "cpu" else host
            minus = _eval(fn, inputs)
            flat[k] = orig
            x._data[...] = x._backend.from_numpy(host) if x._backend.name != "cpu" else host
            col = []
            for p, m in zip(plus, minus):
                if p is not None:
                    col.append(((p - m) / (2 * eps)).reshape(-1))
            jac[k] = numpy.concatenate(col) if col else numpy.zeros(0)
        jacs.append(jac)
    return jacs, base


def _analytical_jacobians(fn, inputs, diff_idx):
    outputs = _as_tuple(fn(*inputs))
    diff_inputs = [inputs[i] for i in diff_idx]
    rows = []
    for o in outputs:
        if not (isinstance(o, Tensor) and o.dtype.kind == "f"):
            continue
        for j in range(o._data.size):
            if not o.requires_grad:
                rows.append([numpy.zeros(x._data.size) for x in diff_inputs])
                continue
            g = numpy.zeros(o._data.size)
            g[j] = 1.0
            g_t = _wrap(o._backend.from_numpy(g.reshape(o.shape).astype(o.dtype))
                        if o._backend.name != "cpu" else g.reshape(o.shape).astype(o.dtype),
                        o._backend)
            grads = _grad(o, diff_inputs, grad_outputs=(g_t,), retain_graph=True,
                          allow_unused=True)
            rows.append([numpy.zeros(x._data.size) if gi is None else _host(gi).reshape(-1)
                         for x, gi in zip(diff_inputs, grads)])
    jacs = []
    for a in range(len(diff_inputs)):
        n = diff_inputs[a]._data.size
        jac = numpy.zeros((n, len(rows)))
        for j, r in enumerate(rows):
            jac[:, j] = r[a]
        jacs.append(jac)
    return jacs


def _output_position(base, flat_j):
    for o, b in enumerate(base):
        if b is None:
            continue
        if flat_j < b.size:
            return o, tuple(int(v) for v in numpy.unravel_index(flat_j, b.shape)) if b.shape \
                else ()
        flat_j -= b.size
    return None, None


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kwargs):
    """Check ``fn``'s backward against central finite differences in float64.

    Args:
        fn: a function of ``inputs`` returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of inputs; float Tensors with
            ``requires_grad=True`` are checked (as float64 copies).
        eps: the finite-difference step.
        atol, rtol: tolerance ``|analytical - numerical| <= atol + rtol |numerical|``.
        raise_exception: raise :class:`GradcheckError` on failure (else return False).

    Returns True when every element agrees.

    Example::

        >>> x = ag.randn(2, 3, dtype=ag.float64, requires_grad=True)
        >>> ag.gradcheck(lambda t: t.exp().sum(1), x)
        True
    """
    inputs = _prepare_inputs(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor with requires_grad=True")
    numerical, base = _numerical_jacobians(fn, inputs, diff_idx, eps)
    analytical = _analytical_jacobians(fn, inputs, diff_idx)
    worst = None
    for a, (num, ana) in enumerate(zip(numerical, analytical)):
        if num.shape != ana.shape:
            msg = (f"gradcheck: Jacobian shape mismatch for input {diff_idx[a]}: numerical "
                   f"{num.shape} vs analytical {ana.shape}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
        with numpy.errstate(invalid="ignore"):
            excess = numpy.abs(ana - num) - (atol + rtol * numpy.abs(num))
        bad = ~(excess <= 0) & ~(numpy.isnan(ana) & numpy.isnan(num)) & \
            ~((ana == num) & numpy.isinf(ana))
        if bad.any():
            score = numpy.where(bad, numpy.nan_to_num(excess, nan=numpy.inf), -numpy.inf)
            k, j = numpy.unravel_index(int(numpy.argmax(score)), score.shape)
            if worst is None or score[k, j] > worst[0]:
                worst = (score[k, j], a, k, j, ana[k, j], num[k, j])
    if worst is None:
        return True
    _, a, k, j, ana_v, num_v = worst
    x = inputs[diff_idx[a]]
    pos = tuple(int(v) for v in numpy.unravel_index(k, x.shape)) if x.shape else ()
    out_idx, out_pos = _output_position(base, j)
    msg = (f"Jacobian mismatch for output {out_idx} with respect to input {diff_idx[a]}: worst "
           f"element at input position {pos}, output position {out_pos}: numerical "
           f"{num_v!r} vs analytical {ana_v!r} (atol={atol}, rtol={rtol})")
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, gen_non_contig_grad_outputs=False, **kwargs):
    """Check second derivatives: gradcheck of ``v . J(x)`` w.r.t. ``x`` and ``v``.

    ``grad_outputs`` (the ``v``) default to random float64 tensors.  This
    exercises backward formulas under ``create_graph=True``.

    Example::

        >>> x = ag.randn(3, dtype=ag.float64, requires_grad=True)
        >>> ag.gradgradcheck(lambda t: (t ** 3).sum(), (x,))
        True
    """
    inputs = _prepare_inputs(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradgradcheck expects at least one input tensor with requires_grad=True")
    outputs = _as_tuple(fn(*inputs))
    diff_outputs = [o for o in outputs if isinstance(o, Tensor) and o.requires_grad]
    if grad_outputs is None:
        rng = numpy.random.default_rng(0)
        grad_outputs = []
        for o in diff_outputs:
            g = rng.standard_normal(o.shape)
            arr = g if o._backend.name == "cpu" else o._backend.from_numpy(g)
            t = _wrap(o._backend.xp.asarray(arr, dtype=numpy.float64), o._backend)
            t._requires_grad = True
            grad_outputs.append(t)
    else:
        grad_outputs = [_prepare_inputs((g,))[0] for g in _as_tuple(grad_outputs)]
        for g in grad_outputs:
            g._requires_grad = True
    n_in = len(inputs)

    def first_grads(*args):
        # runs under no_grad during the numerical pass: the first backward needs a graph
        with enable_grad():
            xs = args[:n_in]
            vs = args[n_in:]
            outs = [o for o in _as_tuple(fn(*xs)) if isinstance(o, Tensor) and o.requires_grad]
            diff_x = [xs[i] for i in diff_idx]
            grads = _grad(outs, diff_x, grad_outputs=vs, create_graph=True, allow_unused=True)
            return tuple(g for g in grads if g is not None)

    return gradcheck(first_grads, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)


__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]
