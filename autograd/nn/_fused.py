"""Fused ``relu(x @ W^T + b)``: what a ``Linear`` followed by a ``ReLU`` computes, in one op.

Forward: one gemm into a fresh array, then ONE in-place pass that adds the
bias and clamps at zero (``backend.bias_relu_forward``) — no bias broadcast
copy, no second activation array, one node in the graph instead of two.
Backward: ``g = grad * (out > 0)`` (the ReLU mask read from the saved
output, which is positive exactly where the pre-activation is), then the
linear backward with gemm transpose flags.  Under ``create_graph=True`` the
same formulas run with differentiable ops, so higher-order gradients are
right.

:class:`~autograd.nn.Sequential` uses it for every ``Linear``/``ReLU`` pair
(exact classes, no hooks, 2-D input); results are identical to the two
separate layers.
"""

from ..function import ArrayFunction
from ..grad_mode import is_grad_enabled
from ..ops.elementwise import constant_of
from ..tensor import Tensor

_make = Tensor._make


class LinearReLU(ArrayFunction):
    """``max(x @ weight.T + bias, 0)`` for 2-D ``x`` (N, in), ``weight`` (out, in), ``bias`` (out,)."""

    __slots__ = ()
    num_inputs = 3
    save_inputs = (0, 1)
    save_output = True

    @staticmethod
    def forward(ctx, backend, x, weight, bias):
        out = backend.linear_forward(x, weight, None)
        return backend.bias_relu_forward(out, bias)

    @staticmethod
    def backward(ctx, grad):
        x, weight, out = ctx.saved_tensors
        need = ctx.needs_input_grad
        backend = grad._backend
        if not is_grad_enabled():
            gb = None
            if need[2]:   # the mask and the bias gradient in one pass
                g, gb = backend.relu_backward_bias(grad._data, out._data)
                gb = _make(gb, backend)
            else:
                g = backend.relu_backward(grad._data, out._data)
            gx = _make(backend.gemm(g, weight._data), backend) if need[0] else None
            gw = _make(backend.gemm(g, x._data, trans_a=True), backend) if need[1] else None
            return gx, gw, gb
        # a zero-derivative function of the output (not a bare constant), so that the
        # second-order graph reaches weight and bias, with zeros, as relu's does
        mask = constant_of(out, (~(out._data <= 0)).astype(grad.dtype))
        g = grad * mask
        gx = g.matmul(weight) if need[0] else None
        gw = g.transpose(0, 1).matmul(x) if need[1] else None
        gb = g.sum(dim=0) if need[2] else None
        return gx, gw, gb


def can_fuse(x, weight, bias):
    """True when ``LinearReLU`` computes exactly what ``relu(linear(x, weight, bias))`` would."""
    if bias is None or not isinstance(x, Tensor):
        return False
    xd = x._data
    wd = weight._data
    return (xd.ndim == 2 and xd.shape[1] == wd.shape[1] and xd.dtype == wd.dtype == bias._data.dtype
            and xd.dtype.kind == "f" and x._backend is weight._backend is bias._backend)


def linear_relu(x, weight, bias):
    """``relu(x @ weight.T + bias)`` as one fused op (inputs checked by :func:`can_fuse`)."""
    return LinearReLU.apply(x, weight, bias)
