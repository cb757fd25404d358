"""The PyTorch baseline of the MLP benchmark: the same model, loss and optimizer as ours.

``TorchMLP(layers, fused=False)`` builds ``nn.Sequential(Linear, ReLU, ...,
Linear)`` from the shared initial ``(weight, bias)`` arrays and trains it with
``F.cross_entropy`` and ``torch.optim.Adam`` — the default implementation
(``foreach``) or ``fused=True`` — in the loop a PyTorch user writes::

    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()

Example::

    >>> import numpy as np
    >>> from bench.numpy_mlp import init_linear_layers
    >>> layers = init_linear_layers([784, 128, 10], np.random.default_rng(0))
    >>> net = TorchMLP(layers)                      # doctest: +SKIP
    >>> step = net.step_fn()                        # doctest: +SKIP
    >>> step(*net.batch(x, t))                      # doctest: +SKIP
"""

import torch
import torch.nn.functional as F

__all__ = ["TorchMLP"]


class TorchMLP:
    """A PyTorch MLP from shared initial ``layers`` with Adam (``fused`` selects the kernel)."""

    def __init__(self, layers, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, fused=False):
        modules = []
        for i, (w, b) in enumerate(layers):
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(b))
            modules.append(lin)
            if i != len(layers) - 1:
                modules.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*modules)
        kwargs = {"fused": True} if fused else {}
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, betas=betas, eps=eps, **kwargs)
        self.fused = fused

    @staticmethod
    def batch(x, target):
        """The engine's tensors for a NumPy batch (no copy: ``torch.from_numpy``)."""
        return torch.from_numpy(x), torch.from_numpy(target)

    def train_step(self, x, target):
        """One step: zero_grad, forward, cross-entropy, backward, Adam. Returns the loss tensor."""
        opt = self.optimizer
        opt.zero_grad()
        loss = F.cross_entropy(self.model(x), target)
        loss.backward()
        opt.step()
        return loss

    def phases(self):
        """The step as three callables (forward+loss, zero_grad+backward, optimizer step)."""
        model, opt = self.model, self.optimizer
        state = {}

        def forward(x, target):
            state["loss"] = F.cross_entropy(model(x), target)

        def backward():
            opt.zero_grad()
            state.pop("loss").backward()

        return forward, backward, opt.step

    def loss(self, x, target):
        """Mean cross-entropy on NumPy ``x``, ``target`` without updating (float)."""
        with torch.no_grad():
            return float(F.cross_entropy(self.model(torch.from_numpy(x)), torch.from_numpy(target)))

    def state(self):
        """Copies of the current ``(weight, bias)`` per layer as NumPy arrays."""
        lins = [m for m in self.model if isinstance(m, torch.nn.Linear)]
        return [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()) for m in lins]
