"""RMSprop."""

from .optimizer import Optimizer, _step_tensor, _zeros_like_param


class RMSprop(Optimizer):
    r"""``torch.optim.RMSprop``: divide the gradient by a running root mean square.

    Per step with gradient :math:`g` (negated when ``maximize``)::

        g <- g + wd * p
        s <- alpha s + (1 - alpha) g^2
        a <- sqrt(s - gbar^2) + eps, gbar <- alpha gbar + (1 - alpha) g   (centered)
        a <- sqrt(s) + eps                                               (otherwise)
        b <- momentum b + g / a;  p <- p - lr b      (momentum > 0)
        p <- p - lr g / a                            (otherwise)

    Args:
        params: iterable of parameters or parameter-group dicts.
        lr (1e-2), alpha (0.99), eps (1e-8), weight_decay (0), momentum (0),
        centered (False), maximize (False): as above.

    State per parameter: ``step``, ``square_avg``, and ``momentum_buffer`` /
    ``grad_avg`` when momentum / centered are on.  One in-place
    ``backend.rmsprop_step`` per parameter.

    Example::

        opt = ag.optim.RMSprop(model.parameters(), lr=1e-2, momentum=0.9)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        if capturable:
            raise NotImplementedError("RMSprop(capturable=True) is not supported (no CUDA graphs)")
        if differentiable:
            raise NotImplementedError("RMSprop(differentiable=True) is not supported: updates run in fused in-place kernels")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("maximize", False)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._evaluate_closure(closure)
        with self._contiguous_params():
            state = self.state
            for group in self.param_groups:
                lr = group["lr"]
                alpha = group["alpha"]
                eps = group["eps"]
                weight_decay = group["weight_decay"]
                momentum = group["momentum"]
                centered = group["centered"]
                maximize = group["maximize"]
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    param_state = state[p]
                    if not param_state:
                        param_state["step"] = _step_tensor()
                        param_state["square_avg"] = _zeros_like_param(p)
                        if momentum > 0:
                            param_state["momentum_buffer"] = _zeros_like_param(p)
                        if centered:
                            param_state["grad_avg"] = _zeros_like_param(p)
                    step_array = param_state["step"]._data
                    step_array.fill(float(step_array) + 1.0)
                    grad = grad._data
                    if maximize:
                        grad = -grad
                    buf = param_state["momentum_buffer"]._data if momentum > 0 else None
                    grad_avg = param_state["grad_avg"]._data if centered else None
                    p._backend.rmsprop_step(p._data, grad, param_state["square_avg"]._data, lr, alpha, eps,
                                            weight_decay, momentum, centered, buf, grad_avg)
                    p._bump_version()
        return loss
