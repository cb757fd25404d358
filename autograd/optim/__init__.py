"""Optimizers (``ag.optim``): SGD, Adam, AdamW, RMSprop, and ``lr_scheduler``.

Each optimizer updates its parameters in place with one fused backend kernel
per parameter, with PyTorch's arithmetic and state-dict layout.

Example::

    opt = ag.optim.Adam(model.parameters(), lr=1e-3)
    for x, y in loader:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
"""

from . import lr_scheduler
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
