"""Dropout."""

from . import functional as F
from .module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` during training, scaling survivors by ``1/(1-p)``.

    In eval mode it is the identity.  Masks come from the library's generator
    (``ag.manual_seed`` makes them reproducible).

    Example::

        drop = nn.Dropout(0.5)
        drop(ag.ones(4))          # entries 0 or 2
        drop.eval()(ag.ones(4))   # unchanged
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not isinstance(p, (int, float)) or isinstance(p, bool):
            raise TypeError(f"dropout probability must be a number, got {type(p).__name__}")
        if not 0 <= p <= 1:   # (NaN too)
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
