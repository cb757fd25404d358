"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from .optimizer import Optimizer, _zeros_like_param


class SGD(Optimizer):
    r"""``torch.optim.SGD``: stochastic gradient descent (optionally with momentum).

    With gradient :math:`g` (negated when ``maximize``) and weight decay
    :math:`\lambda`, per step :math:`t`::

        g <- g + wd * p
        b <- g                                   (t = 1)
        b <- momentum * b + (1 - dampening) * g  (t > 1)
        g <- g + momentum * b   if nesterov  else  b      (when momentum != 0)
        p <- p - lr * g

    Args:
        params: iterable of parameters or parameter-group dicts.
        lr: learning rate (default 1e-3, as PyTorch).
        momentum, dampening, weight_decay: as above (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend instead of descend.

    Each parameter is updated by one in-place ``backend.sgd_step`` call.

    Example::

        opt = ag.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        if differentiable:
            raise NotImplementedError("SGD(differentiable=True) is not supported: updates run in fused in-place kernels")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate_closure(closure)
        with self._contiguous_params():
            state = self.state
            for group in self.param_groups:
                lr = group["lr"]
                momentum = group["momentum"]
                dampening = group["dampening"]
                weight_decay = group["weight_decay"]
                nesterov = group["nesterov"]
                maximize = group["maximize"]
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    grad = grad._data
                    if maximize:
                        grad = -grad
                    buf = None
                    first_step = False
                    if momentum != 0:
                        param_state = state[p]
                        buf_tensor = param_state.get("momentum_buffer")
                        if buf_tensor is None:
                            buf_tensor = _zeros_like_param(p)
                            param_state["momentum_buffer"] = buf_tensor
                            first_step = True
                        buf = buf_tensor._data
                    p._backend.sgd_step(p._data, grad, buf, lr, momentum, dampening, weight_decay,
                                        nesterov, first_step)
                    p._bump_version()
        return loss
