"""Parameter initialisation (``ag.nn.init``), with PyTorch's formulas.

Every function fills its tensor in place (outside the autodiff graph, as
under ``no_grad``), bumps its version counter and returns it.  Random values
are drawn on the host from the library's generator (seeded by
``ag.manual_seed``) and moved to the tensor's device.

Fans: for a weight of shape ``(out, in, *kernel)``,
``fan_in = in * prod(kernel)`` and ``fan_out = out * prod(kernel)``.

Example::

    w = ag.empty(128, 784)
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))   # what nn.Linear does
"""

import math
import warnings

import numpy

from .. import random as _random

__all__ = [
    "calculate_gain", "zeros_", "ones_", "constant_", "normal_", "uniform_", "xavier_uniform_",
    "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "trunc_normal_", "eye_",
]


def _fill_from_host(tensor, host_values):
    """Write host values into ``tensor`` in place (cast to its dtype) and bump its version."""
    backend = tensor._backend
    tensor._data[...] = backend.from_numpy(numpy.asarray(host_values, dtype=tensor.dtype))
    tensor._bump_version()
    return tensor


def _check_tensor(tensor, name):
    from ..tensor import Tensor
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{name}: expected a Tensor, got {type(tensor).__name__}")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table).

    ============ ==========================================
    linear, conv, sigmoid   1
    tanh                    5/3
    relu                    sqrt(2)
    leaky_relu              sqrt(2 / (1 + negative_slope^2))  (slope ``param``, default 0.01)
    selu                    3/4
    ============ ==========================================

    Example::

        nn.init.calculate_gain("leaky_relu", 0.2)   # 1.3867...
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight with at least 2 dimensions."""
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field_size = 1
    for s in shape[2:]:
        receptive_field_size *= s
    return shape[1] * receptive_field_size, shape[0] * receptive_field_size


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with draws from U(a, b).  ``generator``: a numpy Generator (default: the library's)."""
    _check_tensor(tensor, "uniform_")
    gen = generator if generator is not None else _random.generator()
    return _fill_from_host(tensor, gen.uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with draws from N(mean, std^2)."""
    _check_tensor(tensor, "normal_")
    gen = generator if generator is not None else _random.generator()
    return _fill_from_host(tensor, gen.normal(mean, std, size=tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) truncated to [a, b] (inverse-CDF sampling, as PyTorch)."""
    from scipy.special import erf, erfinv
    _check_tensor(tensor, "trunc_normal_")
    gen = generator if generator is not None else _random.generator()

    def norm_cdf(x):
        return (1.0 + erf(x / math.sqrt(2.0))) / 2.0

    lower, upper = norm_cdf((a - mean) / std), norm_cdf((b - mean) / std)
    u = gen.uniform(2 * lower - 1, 2 * upper - 1, size=tensor.shape)
    values = numpy.clip(erfinv(u) * std * math.sqrt(2.0) + mean, a, b)
    return _fill_from_host(tensor, values)


def constant_(tensor, val):
    """Fill with the constant ``val``."""
    _check_tensor(tensor, "constant_")
    tensor._data.fill(val)
    tensor._bump_version()
    return tensor


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix."""
    _check_tensor(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill_from_host(tensor, numpy.eye(*tensor.shape))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-b, b) with ``b = gain * sqrt(3 / fan)``, ``gain = calculate_gain(nonlinearity, a)``.

    ``nn.Linear`` uses ``a=sqrt(5)``, which gives ``b = 1 / sqrt(fan_in)``.
    """
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std^2) with ``std = gain / sqrt(fan)``."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)
