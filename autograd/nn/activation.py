"""Activation layers: thin Modules over ``nn.functional``."""

from ..ops.activation import relu as _relu
from . import functional as F
from .module import Module


class ReLU(Module):
    """``max(x, 0)`` elementwise.

    ``inplace=True`` writes the result into the input and returns it (see
    :func:`autograd.nn.functional.relu`).

    Example::

        nn.ReLU()(ag.tensor([-1.0, 2.0]))   # tensor([0., 2.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        if self.inplace:
            return F.relu(input, inplace=True)
        return _relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` for ``x >= 0`` else ``negative_slope * x``.

    Example::

        nn.LeakyReLU(0.1)(ag.tensor([-1.0, 2.0]))   # tensor([-0.1000, 2.0000])
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """Gaussian error linear unit: ``x * Phi(x)``; ``approximate='tanh'`` uses the tanh formula.

    Example::

        nn.GELU()(ag.tensor([1.0]))   # tensor([0.8413])
    """

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """``tanh(x)`` elementwise."""

    def forward(self, input):
        return F.tanh(input)


class Softmax(Module):
    """Softmax along ``dim``: ``exp(x_i) / sum_j exp(x_j)``.

    ``dim=None`` picks a dimension the way old PyTorch did (0 for 0-, 1- and
    3-d inputs, else 1) and warns.

    Example::

        nn.Softmax(dim=1)(ag.zeros(2, 4))   # every entry 0.25
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``log(softmax(x))`` along ``dim``, computed stably as ``x - logsumexp(x)``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` into one (default: all but the batch dim).

    Example::

        nn.Flatten()(ag.zeros(32, 1, 28, 28)).shape   # (32, 784)
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

