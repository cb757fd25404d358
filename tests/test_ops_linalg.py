"""Table-driven checks of the linalg ops (rows in tests/op_table.py).

Each row and shape case: forward and gradients against PyTorch (float64,
skipped without torch), gradcheck, gradgradcheck where claimed, and the same
on non-contiguous (transposed) leaves.
"""

import pytest

from op_table import LINALG, table_tests

test_linalg_op, test_linalg_op_noncontiguous = table_tests(LINALG)


# --------------------------------------------------------------------------
# the fused ops go through the backend's kernels
# --------------------------------------------------------------------------
import numpy as np  # noqa: E402

import autograd as ag  # noqa: E402
from autograd.backend import register_backend  # noqa: E402
from autograd.backend.base import Backend  # noqa: E402


class SpyBackend(Backend):
    """The generic numpy backend, counting kernel calls."""

    name = "spy"
    calls = {}

    def _count(name):
        def wrapper(self, *args, **kwargs):
            SpyBackend.calls[name] = SpyBackend.calls.get(name, 0) + 1
            return getattr(Backend, name)(self, *args, **kwargs)
        return wrapper

    for _k in ("gemm", "matmul", "linear_forward", "relu_forward", "relu_backward",
               "softmax_forward", "softmax_backward", "log_softmax_forward",
               "log_softmax_backward"):
        locals()[_k] = _count(_k)
    del _k


register_backend("spy", SpyBackend)


def test_fused_ops_call_backend_kernels():
    SpyBackend.calls.clear()
    x = ag.randn(4, 3, device="spy", requires_grad=True)
    w = ag.randn(2, 3, device="spy", requires_grad=True)
    b = ag.randn(2, device="spy", requires_grad=True)
    h = ag.linear(x, w, b).relu()
    loss = (h.softmax(-1) + h.log_softmax(-1) + (x @ x.T).sum()).sum()
    loss.backward()
    calls = SpyBackend.calls
    for kernel in ("linear_forward", "matmul", "gemm", "relu_forward", "relu_backward",
                   "softmax_forward", "softmax_backward", "log_softmax_forward",
                   "log_softmax_backward"):
        assert calls.get(kernel, 0) >= 1, (kernel, calls)
    assert x.grad.device == "spy" and w.grad.shape == (2, 3) and b.grad.shape == (2,)


def test_mixing_devices_raises_naming_both():
    a = ag.ones(2, device="spy")
    c = ag.ones(2)
    for fn in (lambda: a + c, lambda: c * a, lambda: ag.matmul(c, a), lambda: ag.cat([a, c]),
               lambda: ag.where(c > 0, a, c)):
        with pytest.raises(RuntimeError, match="cpu") as info:
            fn()
        assert "spy" in str(info.value)
    moved = a.to("cpu")
    assert moved.device == "cpu" and (moved + c).tolist() == [2.0, 2.0]
