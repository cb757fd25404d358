"""Linear (fully connected) and Identity layers."""

import math

from ..ops.linalg import linear as _linear
from . import init
from ._factory import empty_parameter
from .module import Module


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored, as in PyTorch).

    Example::

        nn.Identity()(x) is x   # True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    r"""``y = x W^T + b``: a fully connected layer.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        device, dtype: where and how to create the parameters (default cpu, the default dtype).

    Shapes: input ``(*, in_features)``, output ``(*, out_features)``.
    ``weight`` is ``(out_features, in_features)``, initialised like PyTorch
    with ``kaiming_uniform_(a=sqrt(5))`` (i.e. U(-1/sqrt(in), 1/sqrt(in)));
    ``bias`` is U(-1/sqrt(in), 1/sqrt(in)).  The forward is the fused
    ``linear`` op (one gemm, bias added through its beta).

    Example::

        fc = nn.Linear(784, 128)
        fc(ag.randn(64, 784)).shape   # (64, 128)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = empty_parameter((out_features, in_features), device, dtype)
        if bias:
            self.bias = empty_parameter((out_features,), device, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias with PyTorch's default initialisation."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        # Read the registry directly: attribute access to a parameter goes through the
        # (slower) __getattr__ fallback, and this runs on every training step.
        params = self._parameters
        return _linear(input, params["weight"], params["bias"])

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
