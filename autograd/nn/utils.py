"""``nn.utils``: gradient clipping."""

import math

from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads_of(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    r"""Scale the gradients of ``parameters`` in place so their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients taken together
    (``inf`` for the max-abs norm).  Every gradient is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``, as PyTorch does.

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` is clipped.
        max_norm: the largest allowed norm.
        norm_type: the p of the p-norm (``float('inf')`` allowed; default 2).
        error_if_nonfinite: raise ``RuntimeError`` if the total norm is nan or inf.

    Returns:
        The total norm of the gradients before clipping, as a 0-d Tensor.

    Example::

        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
    """
    grads = _grads_of(parameters)
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not grads:
        from ..backend import get_backend
        import numpy
        return Tensor._make(numpy.zeros((), dtype=numpy.float32), get_backend("cpu"))
    backend = grads[0]._backend
    xp = backend.xp
    dtype = grads[0].dtype
    for g in grads:
        if g._backend is not backend:
            raise RuntimeError(f"clip_grad_norm_: gradients are on different devices ({backend.name} and {g.device})")
    if norm_type == math.inf:
        norms = [xp.abs(g._data).max() if g._data.size else xp.zeros((), dtype) for g in grads]
        total = xp.max(xp.stack(norms))
    elif norm_type == 0.0:
        total = xp.asarray(sum(int(xp.count_nonzero(g._data)) for g in grads), dtype=dtype)
    else:
        # Sum of |g|^p per tensor, then the p-th root once: the same value as the norm of norms.
        if norm_type == 2.0:
            partial = [xp.vdot(g._data.ravel(), g._data.ravel()) for g in grads]
        else:
            partial = [(xp.abs(g._data) ** norm_type).sum() for g in grads]
        total = xp.asarray(sum(partial), dtype=dtype) ** (1.0 / norm_type)
    total = xp.asarray(total, dtype=dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot "
            "be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    clip_coef = max_norm / (total + 1e-6)
    clip_coef_clamped = xp.minimum(clip_coef, 1.0).astype(dtype)
    for g in grads:
        g._data *= clip_coef_clamped
        g._bump_version()
    return Tensor._make(total, backend)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element of ``parameters`` into ``[-clip_value, clip_value]`` in place.

    Example::

        nn.utils.clip_grad_value_(model.parameters(), 0.5)
    """
    clip_value = float(clip_value)
    for g in _grads_of(parameters):
        g._backend.xp.clip(g._data, -clip_value, clip_value, out=g._data)
        g._bump_version()
