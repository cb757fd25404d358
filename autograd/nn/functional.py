"""``ag.nn.functional`` (imported as ``F``): layers and losses as functions.

Activations and ``linear`` route to the fused ops of :mod:`autograd.ops`;
``cross_entropy`` uses the fused kernel (:class:`autograd.ops.loss.CrossEntropy`)
whenever it can — class-index targets without class weights — and a
``log_softmax`` + ``nll_loss`` composition otherwise.  Normalization and the
other losses are composed from differentiable ops, so their gradients (and
second derivatives) come from the engine.

Example::

    import autograd.nn.functional as F
    h = F.relu(F.linear(x, w1, b1))
    loss = F.cross_entropy(F.linear(h, w2, b2), y)
"""

import warnings

import numpy

from .. import random as _random
from ..ops import activation as _act
from ..ops import elementwise as _elementwise
from ..ops import linalg as _linalg
from ..ops.loss import cross_entropy_2d, nll_loss_2d, softplus_neg
from ..tensor import Tensor

__all__ = [
    "linear", "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout",
    "batch_norm", "layer_norm", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
    "binary_cross_entropy_with_logits", "binary_cross_entropy",
]

_make = Tensor._make


def _check_tensor(x, fn, arg="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' must be a Tensor, not {type(x).__name__}")


def _as_tensor_like(value, like, fn, arg):
    """``value`` as a Tensor on ``like``'s device (ndarrays and numbers are converted)."""
    if isinstance(value, Tensor):
        if value._backend is not like._backend:
            raise RuntimeError(
                f"{fn}(): expected all tensors to be on the same device, but {arg} is on "
                f"{value.device} and input on {like.device}"
            )
        return value
    backend = like._backend
    if backend.is_array(value) or isinstance(value, (numpy.ndarray, numpy.generic, int, float, list, tuple)):
        on_device = backend.is_array(value)
        array = value if on_device else numpy.asarray(value)
        # Floats (and non-target ints) take the input's dtype; class-index targets stay integers.
        if array.dtype.kind == "f" or (arg != "target" and array.dtype.kind in "iub"):
            array = array.astype(like.dtype, copy=False)
        return _make(array if on_device else backend.from_numpy(array), backend)
    raise TypeError(f"{fn}(): argument '{arg}' must be a Tensor, not {type(value).__name__}")


_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average`` / ``reduce`` arguments mapped to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    warnings.warn("size_average and reduce args will be deprecated, please use reduction instead.",
                  stacklevel=3)
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# ----------------------------------------------------------------------
# linear and activations
# ----------------------------------------------------------------------
def linear(input, weight, bias=None):
    r"""``y = input @ weight.T + bias`` (one fused gemm; bias through its beta).

    Args:
        input: ``(*, in_features)``.
        weight: ``(out_features, in_features)``.
        bias: ``(out_features,)`` or None.

    Example::

        F.linear(ag.ones(2, 3), ag.ones(4, 3)).shape   # (2, 4)
    """
    # The op validates shapes, dtypes and devices and handles 1-D and batched inputs.
    return _linalg.linear(input, weight, bias)


def relu(input, inplace=False):
    """``max(input, 0)`` elementwise; gradient ``grad * (input > 0)``.

    ``inplace=True`` writes the result into ``input`` and returns it (PyTorch's
    rules for in-place operations apply: not on a leaf that requires grad).

    Example::

        F.relu(ag.tensor([-1.0, 2.0]))   # tensor([0., 2.])
    """
    if inplace:
        _check_tensor(input, "relu")
        return input._inplace("relu_", _act.relu)
    return _act.relu(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``input`` where positive, else ``negative_slope * input`` (``inplace`` as in :func:`relu`).

    Example::

        F.leaky_relu(ag.tensor([-2.0, 3.0]), 0.1)   # tensor([-0.2000, 3.0000])
    """
    if inplace:
        _check_tensor(input, "leaky_relu")
        return input._inplace("leaky_relu_", _act.leaky_relu, negative_slope)
    return _act.leaky_relu(input, negative_slope)


def gelu(input, approximate="none"):
    r"""GELU: ``x * Phi(x)`` with ``Phi`` the standard normal CDF.

    ``approximate='tanh'`` uses ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Example::

        F.gelu(ag.tensor([0.0, 1.0]))   # tensor([0.0000, 0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _act.gelu(input, approximate=approximate)


def sigmoid(input):
    """``1 / (1 + exp(-input))`` elementwise.

    Example::

        F.sigmoid(ag.tensor([0.0]))   # tensor([0.5000])
    """
    return _act.sigmoid(input)


def tanh(input):
    """``tanh(input)`` elementwise.

    Example::

        F.tanh(ag.tensor([0.0]))   # tensor([0.])
    """
    return _act.tanh(input)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim`` (max-subtracted, so it never overflows).

    ``dtype`` casts the input first; ``dim=None`` picks a dim as old PyTorch
    did (0 for 0-, 1- and 3-d inputs, else 1) and warns.

    Example::

        F.softmax(ag.zeros(2, 4), dim=1)   # every entry 0.25
    """
    _check_tensor(input, "softmax")
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _act.softmax(input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``x - logsumexp(x)`` along ``dim`` (stable ``log(softmax(x))``); ``dtype`` casts first.

    Example::

        F.log_softmax(ag.zeros(1, 2), dim=1)   # tensor([[-0.6931, -0.6931]])
    """
    _check_tensor(input, "log_softmax")
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _act.log_softmax(input, dim)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero elements with probability ``p`` and scale the rest by ``1/(1-p)`` (identity unless training).

    The mask is drawn from the library's generator (``ag.manual_seed``).
    ``inplace=True`` writes the result into ``input`` and returns it.

    Example::

        F.dropout(ag.ones(6), p=0.5)   # entries 0. or 2.
    """
    _check_tensor(input, "dropout")
    if not isinstance(p, (int, float)) or isinstance(p, bool):
        raise TypeError(f"dropout probability must be a number, got {type(p).__name__}")
    if not 0.0 <= p <= 1.0:   # (NaN too)
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        mask = 0.0
    else:
        keep = _random.generator().random(input.shape) >= p
        mask = keep.astype(input.dtype) * numpy.asarray(1.0 / (1.0 - p), dtype=input.dtype)
        mask = _make(input._backend.from_numpy(mask), input._backend)
    if inplace:
        return input._inplace("dropout_", _elementwise.mul, mask)
    return input * mask


# ----------------------------------------------------------------------
# normalization
# ----------------------------------------------------------------------
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    r"""Batch normalization over every dim but the channel dim 1.

    Training (or no running statistics): normalise with the batch mean and
    biased variance, and update ``running_mean`` / ``running_var`` (when
    given) in place: ``r = (1 - momentum) r + momentum * stat`` with the
    unbiased variance.  Otherwise normalise with the running statistics.

    Example::

        F.batch_norm(x, None, None, training=True)
    """
    _check_tensor(input, "batch_norm")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with at least 2 dims (N, C, ...), got shape {tuple(input.shape)}")
    channels = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    stat_shape = (1, channels) + (1,) * (input.ndim - 2)
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise RuntimeError(f"batch_norm: {name} should have shape ({channels},), got {tuple(t.shape)}")
    if training:
        count = input.numel() // channels
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(input.shape)}")
        mean = input.mean(dim=axes, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dim=axes, keepdim=True)
        out = centered * (var + eps).rsqrt()
        if running_mean is not None:
            batch_mean = mean._data.reshape(channels)
            running_mean._data *= 1.0 - momentum
            running_mean._data += (momentum * batch_mean).astype(running_mean.dtype, copy=False)
            running_mean._bump_version()
        if running_var is not None:
            unbiased = var._data.reshape(channels) * (count / (count - 1))
            running_var._data *= 1.0 - momentum
            running_var._data += (momentum * unbiased).astype(running_var.dtype, copy=False)
            running_var._bump_version()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var are required when training=False")
        out = (input - running_mean.reshape(stat_shape)) * (running_var.reshape(stat_shape) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(stat_shape)
    if bias is not None:
        out = out + bias.reshape(stat_shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    r"""Normalise over the trailing ``normalized_shape`` dims (mean, biased variance), then scale and shift.

    Example::

        F.layer_norm(x, (x.shape[-1],))
    """
    _check_tensor(input, "layer_norm")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[-k:]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size {tuple(input.shape)}"
        )
    axes = tuple(range(-k, 0))
    mean = input.mean(dim=axes, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dim=axes, keepdim=True)
    out = centered * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# ----------------------------------------------------------------------
# losses
# ----------------------------------------------------------------------
def _class_targets(input, target, fn):
    """Check class-index targets against ``input``; return ``(logits_2d, target_1d, out_shape)``.

    Accepts ``(C,)`` input with a 0-d target, ``(N, C)`` with ``(N,)``, and
    ``(N, C, d1, ...)`` with ``(N, d1, ...)`` (C moved last and flattened).
    """
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have at least 1 dimension (C,) or (N, C, ...), got a 0-d tensor")
    if input.ndim == 1:
        if target.ndim != 0:
            raise ValueError(f"{fn}: a 1-D input (C,) needs a 0-d target, got target shape {tuple(target.shape)}")
        return input.reshape(1, input.shape[0]), target.reshape(1), ()
    n, c = input.shape[0], input.shape[1]
    if target.ndim == 0 or target.shape[0] != n:
        raise ValueError(
            f"Expected input batch_size ({n}) to match target batch_size ({target.shape[0] if target.ndim else 0}) "
            f"in {fn}: input shape {tuple(input.shape)}, target shape {tuple(target.shape)}"
        )
    expected = (n,) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(f"{fn}: expected target shape {expected} for input shape {tuple(input.shape)}, "
                         f"got {tuple(target.shape)}")
    if input.ndim == 2:
        return input, target, (n,)
    perm = (0,) + tuple(range(2, input.ndim)) + (1,)
    return input.permute(*perm).reshape(-1, c), target.reshape(-1), expected


def _int64_target(target, fn):
    kind = target.dtype.kind
    if kind not in "iu":
        raise TypeError(
            f"{fn}: class-index targets must be an integer (int64) tensor, got {target.dtype}"
            + (" (float targets are class probabilities and need the input's shape)" if kind == "f" else "")
        )
    if target.dtype != numpy.int64:
        target = _make(target._data.astype(numpy.int64), target._backend)
    return target


def _check_class_range(target, num_classes, ignore_index, fn):
    data = target._data
    if data.size == 0:
        return
    xp = target._backend.xp
    bad = (data != ignore_index) & ((data < 0) | (data >= num_classes))
    if bool(bad.any()):
        first = int(xp.flatnonzero(bad)[0])
        raise IndexError(f"{fn}: target {int(data.reshape(-1)[first])} at position {first} is out of bounds "
                         f"for {num_classes} classes")


def _weight_array(weight, input, fn):
    if weight is None:
        return None
    weight = _as_tensor_like(weight, input, fn, "weight")
    c = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if tuple(weight.shape) != (c,):
        raise RuntimeError(f"{fn}: weight should have shape ({c},) (one per class), got {tuple(weight.shape)}")
    return weight


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    r"""Negative log-likelihood: ``-weight[t] * input[n, t]`` for log-probabilities ``input``.

    Shapes as :func:`cross_entropy` with class indices; ``"mean"`` divides by
    the summed weights of the targets not equal to ``ignore_index``.

    Example::

        F.nll_loss(F.log_softmax(logits, dim=1), y)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensor(input, "nll_loss")
    target = _as_tensor_like(target, input, "nll_loss", "target")
    target = _int64_target(target, "nll_loss")
    if input.dtype.kind != "f":
        raise TypeError(f"nll_loss: input must be a floating point tensor of log-probabilities, got {input.dtype}")
    weight = _weight_array(weight, input, "nll_loss")
    x2, t1, out_shape = _class_targets(input, target, "nll_loss")
    _check_class_range(t1, x2.shape[1], ignore_index, "nll_loss")
    out = nll_loss_2d(x2, t1, weight, reduction, ignore_index)
    if reduction == "none" and tuple(out.shape) != out_shape:
        out = out.reshape(out_shape)
    return out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    r"""Cross-entropy between logits and targets (``log_softmax`` then NLL, fused).

    Args:
        input: logits ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``.
        target: int64 class indices ``(N,)`` / 0-d / ``(N, d1, ...)``, or class
            probabilities with the input's shape (float).
        weight: optional per-class weights ``(C,)``.
        ignore_index: targets equal to it contribute nothing (class indices only).
        reduction: ``"mean"`` (over non-ignored targets), ``"sum"`` or ``"none"``.
        label_smoothing: ``ls`` in [0, 1]: the target becomes ``(1 - ls) * onehot + ls / C``.

    Raises ``IndexError`` for class indices outside ``[0, C)`` and
    ``TypeError`` for float targets whose shape is not the input's.

    Example::

        logits = ag.randn(4, 10, requires_grad=True)
        F.cross_entropy(logits, ag.tensor([1, 0, 9, 3])).backward()
    """
    if (weight is None and size_average is None and reduce is None and reduction in _REDUCTIONS
            and isinstance(input, Tensor) and isinstance(target, Tensor)):
        # The training hot path: (N, C) float logits, (N,) int64 targets, nothing to convert.
        x, t = input._data, target._data
        if (x.ndim == 2 and t.ndim == 1 and t.dtype == numpy.int64 and x.dtype.kind == "f"
                and t.shape[0] == x.shape[0] and input._backend is target._backend
                and 0.0 <= label_smoothing <= 1.0):
            return cross_entropy_2d(input, target, reduction, ignore_index, float(label_smoothing))
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensor(input, "cross_entropy")
    target = _as_tensor_like(target, input, "cross_entropy", "target")
    if input.dtype.kind != "f":
        raise TypeError(f"cross_entropy: input must be a floating point tensor of logits, got {input.dtype}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if target.dtype.kind == "f" and tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing)
    target = _int64_target(target, "cross_entropy")
    weight = _weight_array(weight, input, "cross_entropy")
    x2, t1, out_shape = _class_targets(input, target, "cross_entropy")
    if weight is None:
        out = cross_entropy_2d(x2, t1, reduction, ignore_index, float(label_smoothing))
    else:
        out = _cross_entropy_weighted(x2, t1, weight, ignore_index, reduction, label_smoothing)
    if reduction == "none" and tuple(out.shape) != out_shape:
        out = out.reshape(out_shape)
    return out


def _cross_entropy_weighted(x2, t1, weight, ignore_index, reduction, label_smoothing):
    """Class-weighted cross-entropy, composed as PyTorch defines it (log_softmax + weighted NLL)."""
    _check_class_range(t1, x2.shape[1], ignore_index, "cross_entropy")
    logp = _act.log_softmax(x2, 1)
    nll = nll_loss_2d(logp, t1, weight, reduction, ignore_index)
    if label_smoothing <= 0.0:
        return nll
    xp = x2._backend.xp
    c = x2.shape[1]
    valid = t1._data != ignore_index
    smooth = -(logp * weight).sum(dim=1) * _make(valid.astype(x2.dtype), x2._backend)
    if reduction == "mean":
        safe_t = xp.where(valid, t1._data, 0)
        denom = float((weight._data[safe_t] * valid).sum())
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / c)


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing):
    """Cross-entropy against class probabilities: ``-sum_c w_c * target_c * log_softmax(input)_c``."""
    if ignore_index >= 0:
        raise ValueError("cross_entropy: ignore_index is not supported for floating point (probability) targets")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have at least 1 dimension")
    class_dim = 1 if input.ndim >= 2 else 0
    c = input.shape[class_dim]
    logp = _act.log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / c
    term = logp * target
    if weight is not None:
        weight = _weight_array(weight, input, "cross_entropy")
        shape = [1] * input.ndim
        shape[class_dim] = c
        term = term * weight.reshape(*shape)
    if reduction == "none":
        return -term.sum(dim=class_dim)
    total = -term.sum()
    if reduction == "sum":
        return total
    count = input.numel() // c
    return total / count if count else total * float("nan")


def _broadcast_warning(input, target, fn):
    """PyTorch's warning for a target shaped unlike the input; shapes that cannot broadcast
    raise, naming the loss and both shapes."""
    if tuple(target.shape) != tuple(input.shape):
        try:
            numpy.broadcast_shapes(tuple(input.shape), tuple(target.shape))
        except ValueError:
            from ..ops.elementwise import ShapeError
            raise ShapeError(f"{fn}: input of shape {tuple(input.shape)} and target of shape "
                             f"{tuple(target.shape)} cannot be broadcast together") from None
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}) in {fn}. This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def _weighted_reduce(loss, input, weight, reduction, fn):
    """PyTorch's per-element weighting of mse/l1: ``"mean"`` divides by the sum of the weights."""
    if weight is None:
        return _reduce(loss, reduction)
    weight = _as_tensor_like(weight, input, fn, "weight")
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{fn}: Weights and input must have the same size "
                         f"(weight {tuple(weight.shape)}, input {tuple(input.shape)}).")
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean squared error: ``(input - target)^2``, reduced.

    With ``weight`` (the input's shape) each term is weighted and ``"mean"``
    divides by ``weight.sum()``, as PyTorch does.

    Example::

        F.mse_loss(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 4.0]))   # tensor(2.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensor(input, "mse_loss")
    target = _as_tensor_like(target, input, "mse_loss", "target")
    _broadcast_warning(input, target, "mse_loss")
    diff = input - target
    return _weighted_reduce(diff * diff, input, weight, reduction, "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean absolute error: ``|input - target|`` (times ``weight``), reduced.

    Example::

        F.l1_loss(ag.tensor([1.0, 2.0]), ag.tensor([0.0, 4.0]))   # tensor(1.5000)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensor(input, "l1_loss")
    target = _as_tensor_like(target, input, "l1_loss", "target")
    _broadcast_warning(input, target, "l1_loss")
    return _weighted_reduce((input - target).abs(), input, weight, reduction, "l1_loss")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    r"""Binary cross-entropy on logits, in PyTorch's numerically stable form.

    .. math:: \ell = (1 - y)\,x + (1 + (p_w - 1)\,y)\,\mathrm{softplus}(-x)

    times ``weight`` when given (``softplus(-x) = -log sigmoid(x)``, computed
    without overflow for any ``x``).  ``pos_weight`` weighs the positive
    class, broadcast along the last dim.

    Example::

        F.binary_cross_entropy_with_logits(ag.tensor([0.0, 3.0]), ag.tensor([1.0, 0.0]))
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensor(input, "binary_cross_entropy_with_logits")
    target = _as_tensor_like(target, input, "binary_cross_entropy_with_logits", "target")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({tuple(target.shape)}) must be the same as input size ({tuple(input.shape)})")
    if target.dtype.kind != "f":
        target = target.to(input.dtype)
    neg_log_sigmoid = softplus_neg(input)
    if pos_weight is not None:
        pos_weight = _as_tensor_like(pos_weight, input, "binary_cross_entropy_with_logits", "pos_weight")
        log_weight = (pos_weight - 1.0) * target + 1.0
        loss = (1.0 - target) * input + log_weight * neg_log_sigmoid
    else:
        loss = (1.0 - target) * input + neg_log_sigmoid
    if weight is not None:
        loss = loss * _as_tensor_like(weight, input, "binary_cross_entropy_with_logits", "weight")
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    r"""Binary cross-entropy on probabilities: ``-(y log x + (1 - y) log(1 - x))``, logs clamped at -100 as PyTorch.

    Example::

        F.binary_cross_entropy(ag.tensor([0.9, 0.2]), ag.tensor([1.0, 0.0]))
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_tensor(input, "binary_cross_entropy")
    target = _as_tensor_like(target, input, "binary_cross_entropy", "target")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                         f"({tuple(input.shape)}) is deprecated. Please ensure they have the same size.")
    data = input._data
    if data.size and bool(((data < 0) | (data > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * input.log().clamp(min=-100.0) + (1.0 - target) * (1.0 - input).log().clamp(min=-100.0))
    if weight is not None:
        loss = loss * _as_tensor_like(weight, input, "binary_cross_entropy", "weight")
    return _reduce(loss, reduction)
