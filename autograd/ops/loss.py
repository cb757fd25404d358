"""Loss operations: fused cross-entropy, NLL, and the numerically stable pieces of the others.

* :class:`CrossEntropy` is the fused op of the training hot path: its forward
  is ONE backend kernel over ``(N, C)`` logits and int64 targets (log-sum-exp
  and NLL in one pass) and its backward ONE kernel (softmax minus the
  smoothed one-hot, scaled).  Under ``create_graph=True`` the backward is
  instead written with differentiable ops (``softmax``), so second
  derivatives are right, never silently zero.
* :class:`NLLLoss` picks ``-input[i, target_i]``; its backward is linear in the
  incoming gradient (a constant one-hot pattern times it), so it is
  differentiable by construction.
* :class:`SoftplusNeg` is ``softplus(-x) = -log(sigmoid(x))``, the stable core of
  ``binary_cross_entropy_with_logits``, with the exact derivative
  ``-sigmoid(-x)`` everywhere (also at 0, where ``|x|`` is not differentiable).

The user-facing wrappers (shape handling, validation, reductions) are in
:mod:`autograd.nn.functional`.
"""

from ..function import ArrayFunction
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor

__all__ = ["CrossEntropy", "NLLLoss", "SoftplusNeg", "cross_entropy_2d", "nll_loss_2d", "softplus_neg"]

_make = Tensor._make


class CrossEntropy(ArrayFunction):
    """Fused cross-entropy of logits ``(N, C)`` against int64 targets ``(N,)``.

    ``apply(logits, target, reduction, ignore_index, label_smoothing)``.
    Per row, with ``logp = log_softmax(logits)`` and smoothing ``ls``::

        loss_i = -(1 - ls) * logp[i, t_i] - ls / C * sum_c logp[i, c]    (0 if t_i == ignore_index)

    ``"mean"`` divides by the number of rows not ignored.
    Gradient: ``scale_i * (softmax(logits)_i - (1 - ls) * onehot(t_i) - ls / C)``.
    """

    __slots__ = ("lse", "reduction", "ignore_index", "label_smoothing")
    num_inputs = 2
    save_inputs = (0, 1)

    @staticmethod
    def forward(ctx, backend, logits, target, reduction, ignore_index, label_smoothing):
        loss, lse = backend.cross_entropy_forward(logits, target, reduction, ignore_index, label_smoothing)
        ctx.lse = lse
        ctx.reduction = reduction
        ctx.ignore_index = ignore_index
        ctx.label_smoothing = label_smoothing
        return loss

    @staticmethod
    def backward(ctx, grad):
        logits, target = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None
        backend = logits._backend
        if not is_grad_enabled():
            # The fast path: one kernel, no graph (create_graph=False).
            g = backend.cross_entropy_backward(grad._data, logits._data, target._data, ctx.lse, ctx.reduction,
                                               ctx.ignore_index, ctx.label_smoothing)
            return _make(g, backend), None
        # create_graph=True: the same formula with differentiable ops.
        return _cross_entropy_grad_differentiable(grad, logits, target, ctx.reduction, ctx.ignore_index,
                                                  ctx.label_smoothing), None


def _cross_entropy_grad_differentiable(grad, logits, target, reduction, ignore_index, label_smoothing):
    from .activation import softmax
    xp = logits._backend.xp
    backend = logits._backend
    n, c = logits.shape
    dtype = logits.dtype
    t = target._data
    valid = t != ignore_index
    safe_t = xp.where(valid, t, 0)
    pattern = xp.full((n, c), label_smoothing / c, dtype=dtype)
    pattern[xp.arange(n), safe_t] += 1.0 - label_smoothing
    row_weight = valid.astype(dtype)
    if reduction == "mean":
        count = int(valid.sum())
        # all rows ignored: the loss is nan but, as in PyTorch, the gradient is zero
        row_weight = row_weight / count if count else row_weight
    row_scale = grad * _make(row_weight.astype(dtype, copy=False), backend)   # (N,)
    return (softmax(logits, 1) - _make(pattern, backend)) * row_scale.reshape(n, 1)


def cross_entropy_2d(logits, target, reduction="mean", ignore_index=-100, label_smoothing=0.0):
    """Fused cross-entropy on validated ``(N, C)`` float logits and ``(N,)`` int64 targets."""
    return CrossEntropy.apply(logits, target, reduction, ignore_index, label_smoothing)


class NLLLoss(ArrayFunction):
    """Negative log-likelihood ``-w[t_i] * input[i, t_i]`` of ``(N, C)`` log-probabilities.

    ``apply(input, target, weight_array_or_None, reduction, ignore_index)``;
    ``"mean"`` divides by the summed weights of the rows not ignored.
    """

    __slots__ = ("safe_target", "row_scale", "num_classes", "reduction")
    num_inputs = 2

    @staticmethod
    def forward(ctx, backend, input, target, weight, reduction, ignore_index):
        xp = backend.xp
        n, c = input.shape
        dtype = input.dtype
        valid = target != ignore_index
        safe_t = xp.where(valid, target, 0)
        if weight is None:
            row_w = valid.astype(dtype)
        else:
            row_w = xp.where(valid, weight[safe_t], 0).astype(dtype, copy=False)
        picked = xp.take_along_axis(input, safe_t[:, None], axis=1)[:, 0] if n else xp.zeros((0,), dtype)
        per_row = -(picked * row_w)
        if reduction == "none":
            out = per_row
            row_scale = row_w
        elif reduction == "sum":
            out = xp.asarray(per_row.sum(), dtype=dtype)
            row_scale = row_w
        else:
            denom = row_w.sum()
            if n and bool(denom != 0):
                out = xp.asarray(per_row.sum() / denom, dtype=dtype)
                row_scale = row_w / denom
            else:
                # Nothing counted (empty or all ignored): PyTorch's nan loss with zero gradient.
                out = xp.asarray(float("nan"), dtype=dtype)
                row_scale = row_w
        # Backward needs only where each row's target is and its weight.
        ctx.safe_target = safe_t
        ctx.row_scale = row_scale
        ctx.num_classes = c
        ctx.reduction = reduction
        return out

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[0]:
            return None, None
        backend = grad._backend
        xp = backend.xp
        n = ctx.safe_target.shape[0]
        # d loss / d input[i, t_i] = -row_scale[i]; every other entry 0.  The result is
        # linear in grad (a constant pattern times it), so it is differentiable as is.
        pattern = xp.zeros((n, ctx.num_classes), dtype=grad.dtype)
        if n:
            pattern[xp.arange(n), ctx.safe_target] = -ctx.row_scale
        pattern = _make(pattern, backend)
        if ctx.reduction == "none":
            return pattern * grad.reshape(n, 1), None
        return pattern * grad, None


def nll_loss_2d(input, target, weight=None, reduction="mean", ignore_index=-100):
    """NLL on validated ``(N, C)`` log-probabilities and ``(N,)`` int64 targets."""
    weight_array = None if weight is None else weight._data
    return NLLLoss.apply(input, target, weight_array, reduction, ignore_index)


class SoftplusNeg(ArrayFunction):
    """``softplus(-x) = log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|))``, stable for any x.

    Derivative: ``-sigmoid(-x)``.
    """

    __slots__ = ()
    num_inputs = 1
    save_inputs = (0,)

    @staticmethod
    def forward(ctx, backend, x):
        xp = backend.xp
        return xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        from .activation import sigmoid
        (x,) = ctx.saved_tensors
        return -(grad * sigmoid(-x))


def softplus_neg(x):
    """``softplus(-x)``, i.e. ``-log(sigmoid(x))``, differentiable (see :class:`SoftplusNeg`)."""
    return SoftplusNeg.apply(x)
