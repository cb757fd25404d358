"""Loss modules: thin wrappers over the functional losses."""

from . import functional as F
from .module import Module


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        # PyTorch's deprecated size_average/reduce pair still maps onto reduction.
        self.reduction = _check_reduction(F._legacy_reduction(size_average, reduce, reduction))


class CrossEntropyLoss(_Loss):
    """Cross-entropy between logits ``(N, C)`` (or ``(C,)``, ``(N, C, d1, ...)``) and targets.

    Targets are int64 class indices (``(N,)``; ``ignore_index`` rows skipped)
    or class probabilities with the input's shape.  ``label_smoothing``
    mixes the target with the uniform distribution; ``weight`` rescales
    classes.  See :func:`autograd.nn.functional.cross_entropy`.

    Example::

        loss_fn = nn.CrossEntropyLoss()
        loss = loss_fn(model(x), y)   # 0-d tensor
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities ``(N, C)`` and class indices ``(N,)``.

    Example::

        nn.NLLLoss()(F.log_softmax(logits, dim=1), y)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error ``(input - target)^2``, reduced by ``reduction``.

    Example::

        nn.MSELoss()(pred, target)
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error ``|input - target|``, reduced by ``reduction``."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one numerically stable expression.

    ``loss = (1 - y) x + (1 + (pw - 1) y) * softplus(-x)``, times ``weight``.

    Example::

        nn.BCEWithLogitsLoss()(logits, targets.float())
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
