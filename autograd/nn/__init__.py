"""Neural networks (``ag.nn``): Module, Parameter, layers, losses, ``functional``, ``init``, ``utils``.

Layers and losses mirror ``torch.nn`` — names, arguments, defaults,
initialisation, ``state_dict`` keys and arithmetic — so PyTorch code ports by
changing the import.

Example::

    import autograd as ag
    from autograd import nn

    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
"""

from . import functional, init, utils
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh, Flatten
from .container import ModuleList, Sequential
from .dropout import Dropout
from .linear import Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module
from .normalization import BatchNorm1d, LayerNorm
from .parameter import Parameter

__all__ = [
    "Module", "Parameter", "Linear", "Identity", "ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh",
    "Softmax", "LogSoftmax", "Flatten", "Dropout", "BatchNorm1d", "LayerNorm", "Sequential",
    "ModuleList", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCEWithLogitsLoss",
    "functional", "init", "utils",
]
