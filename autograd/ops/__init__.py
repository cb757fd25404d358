"""Operations, one module per family.

* :mod:`.elementwise` -- arithmetic with broadcasting, unary math, comparisons
* :mod:`.reduction`   -- sum, mean, var, std, prod, logsumexp, norm, max/min, ...
  (and the shared helper :func:`unbroadcast`, importable from here)
* :mod:`.shape`       -- reshape, transpose, expand, cat, split, flip, ...
* :mod:`.indexing`    -- ``x[index]``, ``x[index] = v``, narrow, gather
* :mod:`.linalg`      -- matmul, mm, bmm, dot, outer, fused linear
* :mod:`.activation`  -- relu, gelu, sigmoid, tanh, softmax, log_softmax
* :mod:`.creation`    -- factories
* ``loss`` (nn engineer) -- fused cross-entropy and friends

Each op is a Function class (forward next to backward) and a public
function; :mod:`autograd.tensor` binds the public functions as Tensor
methods from one table.

Example::

    >>> from autograd.ops import unbroadcast
    >>> unbroadcast(ag.ones(4, 3), (1, 3))
    tensor([[4., 4., 4.]])
"""

from .reduction import unbroadcast  # noqa: F401
from .elementwise import (  # noqa: F401
    add, sub, mul, div, true_divide, floor_divide, remainder, pow, neg, negative, exp, log,
    log1p, expm1, sqrt, rsqrt, sin, cos, abs, sign, reciprocal, square, erf, floor, ceil, round,
    clamp, clip, maximum, minimum, where, clone, eq, ne, lt, le, gt, ge, logical_and,
    logical_or, logical_xor, logical_not, bitwise_and, bitwise_or, bitwise_xor, bitwise_not,
    isnan, isinf, isfinite, allclose, equal, to_dtype, to_device, binary_operands, ShapeError,
)
from .reduction import (  # noqa: F401
    sum, mean, var, std, prod, logsumexp, norm, max, min, amax, amin, argmax, argmin, all, any,
)
from .shape import (  # noqa: F401
    reshape, view, flatten, squeeze, unsqueeze, transpose, swapaxes, swapdims, t, permute, expand,
    expand_as, broadcast_to, repeat, cat, concat, concatenate, stack, split, chunk, unbind, flip,
    movedim,
)
from .indexing import getitem, setitem, index_put, narrow, select, gather  # noqa: F401
from .linalg import matmul, mm, bmm, dot, inner, outer, ger, linear  # noqa: F401
from .activation import (  # noqa: F401
    relu, leaky_relu, gelu, sigmoid, tanh, softmax, log_softmax,
)
from .creation import (  # noqa: F401
    tensor, as_tensor, from_numpy, zeros, ones, empty, full, arange, linspace, eye, rand, randn,
    randint, randperm, zeros_like, ones_like, empty_like, full_like, rand_like, randn_like,
    randint_like,
)
