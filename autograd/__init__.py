"""autograd: a define-by-run automatic differentiation engine with a compiled core.

Imported like PyTorch::

    >>> import autograd as ag
    >>> x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x ** 2).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4., 6.])

See ``API.md`` for the public surface: Tensors and factories, operations,
autodiff (``backward``, ``grad``, ``no_grad``, ``Function``, ``gradcheck``),
``nn``, ``optim``, ``data`` and ``save``/``load``.
"""

from .dtypes import (  # noqa: F401
    float16, float32, float64, int8, int16, int32, int64, uint8, half, double, long,
    get_default_dtype, set_default_dtype,
)
from .dtypes import bool_ as bool  # noqa: A001,F401  (ag.bool, like torch.bool)
from .dtypes import float as float, int as int  # noqa: A001,F401  (torch.float, torch.int)
from .tensor import Tensor, is_tensor  # noqa: F401
from .backend import device  # noqa: F401  (ag.device, like torch.device)
from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled  # noqa: F401
from .function import Function, once_differentiable  # noqa: F401
from .engine import grad  # noqa: F401
from .engine import backward as autograd_backward  # noqa: F401
from .random import manual_seed, seed, initial_seed, get_rng_state, set_rng_state  # noqa: F401
from .gradcheck import gradcheck, gradgradcheck, GradcheckError  # noqa: F401
from .ops import (  # noqa: F401
    # factories
    tensor, as_tensor, from_numpy, zeros, ones, empty, full, arange, linspace, eye, rand, randn,
    randint, randperm, zeros_like, ones_like, empty_like, full_like, rand_like, randn_like,
    randint_like,
    # elementwise
    add, sub, mul, div, true_divide, floor_divide, remainder, pow, neg, negative, exp, log,
    log1p, expm1, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu, abs, sign, reciprocal, square,
    erf, floor, ceil, round, clamp, clip, maximum, minimum, where, clone, eq, ne, lt, le, gt, ge,
    logical_and, logical_or, logical_xor, logical_not, isnan, isinf, isfinite, allclose, equal,
    # reductions
    sum, mean, var, std, prod, logsumexp, norm, max, min, amax, amin, argmax, argmin, all, any,
    # shape
    reshape, flatten, squeeze, unsqueeze, transpose, swapaxes, swapdims, t, permute, broadcast_to,
    cat, concat, concatenate, stack, split, chunk, unbind, flip, movedim, narrow, select, gather,
    # linear algebra
    matmul, mm, bmm, dot, inner, outer, linear,
    # activations
    leaky_relu, gelu, softmax, log_softmax,
)
from .ops import unbroadcast  # noqa: F401


def expand(x, *sizes):
    """``x.expand(*sizes)``."""
    return x.expand(*sizes)


def repeat(x, *sizes):
    """``x.repeat(*sizes)``."""
    return x.repeat(*sizes)


def view(x, *shape):
    """``x.view(*shape)``."""
    return x.view(*shape)


class _AutogradNamespace:
    """``ag.autograd.grad`` / ``.backward`` / ``.Function`` / ``.gradcheck``, for code written
    against ``torch.autograd``."""

    grad = staticmethod(grad)
    backward = staticmethod(autograd_backward)
    Function = Function
    gradcheck = staticmethod(gradcheck)
    gradgradcheck = staticmethod(gradgradcheck)


autograd = _AutogradNamespace()


# --- subpackages ---
# The compiled core: raises ImportError saying how to build when the extension is missing.
from ._C import (set_num_threads, get_num_threads, use_deterministic_algorithms,  # noqa: E402,F401
                 are_deterministic_algorithms_enabled, is_deterministic_algorithms_warn_only_enabled)
from . import nn, optim, data, metrics, cuda  # noqa: E402,F401
from .serialization import save, load  # noqa: E402,F401
