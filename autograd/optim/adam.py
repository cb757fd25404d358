"""Adam (and the shared update loop AdamW reuses)."""

import math

from .optimizer import Optimizer, _step_tensor, _zeros_like_param


def _adam_amsgrad_step(xp, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1,
                       beta2, eps, weight_decay, decoupled_weight_decay):
    """The AMSGrad variant in array expressions (no fused kernel; PyTorch's arithmetic)."""
    if weight_decay != 0.0:
        if decoupled_weight_decay:
            param *= 1.0 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    exp_avg *= beta1
    exp_avg += (1.0 - beta1) * grad
    exp_avg_sq *= beta2
    exp_avg_sq += (1.0 - beta2) * grad * grad
    bias_correction1 = 1.0 - beta1 ** step
    bias_correction2_sqrt = math.sqrt(1.0 - beta2 ** step)
    xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
    denom = xp.sqrt(max_exp_avg_sq) / bias_correction2_sqrt + eps
    param -= (lr / bias_correction1) * exp_avg / denom


class Adam(Optimizer):
    r"""``torch.optim.Adam``: adaptive moment estimation.

    Per step :math:`t` with gradient :math:`g` (negated when ``maximize``)::

        g <- g + wd * p                  (L2 penalty; AdamW decays p instead)
        m <- b1 m + (1 - b1) g
        v <- b2 v + (1 - b2) g^2
        p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    With ``amsgrad`` the running maximum of ``v`` replaces ``v`` in the denominator.

    Args:
        params: iterable of parameters or parameter-group dicts.
        lr: learning rate (default 1e-3).
        betas: ``(b1, b2)`` (default ``(0.9, 0.999)``).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        amsgrad: use AMSGrad (default False).
        maximize: ascend instead of descend.
        decoupled_weight_decay: decay the weights directly, which is AdamW.

    State per parameter (PyTorch's keys): ``step`` (float32 cpu tensor),
    ``exp_avg``, ``exp_avg_sq`` (and ``max_exp_avg_sq`` with amsgrad), on the
    parameter's device.  The updates of a group go to ``backend.adam_steps``: one fused,
    in-place kernel call for all of its parameters on cpu (PyTorch's multi-tensor path).

    Example::

        opt = ag.optim.Adam(model.parameters(), lr=1e-3)
        opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if capturable:
            raise NotImplementedError(f"{type(self).__name__}(capturable=True) is not supported (no CUDA graphs)")
        if differentiable:
            raise NotImplementedError(
                f"{type(self).__name__}(differentiable=True) is not supported: updates run in fused in-place kernels"
            )
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("decoupled_weight_decay", False)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given.

        Without amsgrad, the parameters of a group that share a device go to
        the backend in one ``adam_steps`` call (one kernel launch on cpu).
        """
        loss = self._evaluate_closure(closure)
        with self._contiguous_params():
            state = self.state
            for group in self.param_groups:
                lr = group["lr"]
                beta1, beta2 = group["betas"]
                eps = group["eps"]
                weight_decay = group["weight_decay"]
                amsgrad = group["amsgrad"]
                maximize = group["maximize"]
                decoupled = group["decoupled_weight_decay"]
                batches = {}   # (backend, dtype) -> (params, grads, exp_avgs, exp_avg_sqs, steps)
                updated = []
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    param_state = state[p]
                    if not param_state:
                        param_state["step"] = _step_tensor()
                        param_state["exp_avg"] = _zeros_like_param(p)
                        param_state["exp_avg_sq"] = _zeros_like_param(p)
                        if amsgrad:
                            param_state["max_exp_avg_sq"] = _zeros_like_param(p)
                    step_array = param_state["step"]._data
                    # float + fill: a 0-d in-place ufunc costs several times more on this hot path.
                    step = float(step_array) + 1.0
                    step_array.fill(step)
                    grad = grad._data
                    if maximize:   # (out=: a ufunc turns a 0-d array into a scalar)
                        grad = p._backend.xp.negative(grad, out=p._backend.xp.empty_like(grad))
                    if amsgrad:
                        _adam_amsgrad_step(p._backend.xp, p._data, grad, param_state["exp_avg"]._data,
                                           param_state["exp_avg_sq"]._data,
                                           param_state["max_exp_avg_sq"]._data, step, lr,
                                           beta1, beta2, eps, weight_decay, decoupled)
                    else:
                        lists = batches.get((p._backend, p._data.dtype))
                        if lists is None:
                            lists = batches[(p._backend, p._data.dtype)] = ([], [], [], [], [])
                        lists[0].append(p._data)
                        lists[1].append(grad)
                        lists[2].append(param_state["exp_avg"]._data)
                        lists[3].append(param_state["exp_avg_sq"]._data)
                        lists[4].append(step)
                    updated.append(p)
                for (backend, _), (params, grads, exp_avgs, exp_avg_sqs, steps) in batches.items():
                    backend.adam_steps(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2,
                                       eps, weight_decay, decoupled)
                for p in updated:
                    p._bump_version()
        return loss
