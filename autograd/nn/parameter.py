"""``nn.Parameter``: a Tensor that a Module registers as a trainable parameter."""

from ..tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and is registered when assigned to a Module.

    ``Parameter(data)`` shares ``data``'s storage (no copy), like PyTorch.

    Args:
        data: a Tensor (default: an empty float tensor).
        requires_grad: default True.

    Example::

        class Scale(nn.Module):
            def __init__(self):
                super().__init__()
                self.s = nn.Parameter(ag.ones(1))   # appears in parameters()
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from ..ops.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a Tensor as data, got {type(data).__name__}")
        param = cls._make(data._data, data._backend, False)
        param._vc = data._vc  # same storage, same version counter
        if requires_grad:
            param.requires_grad_(True)
        return param

    def __init__(self, data=None, requires_grad=True):
        # Everything happens in __new__; Tensor.__init__ must not run again.
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy(), self._backend), self.requires_grad)
        if self.grad is not None:
            result.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = result
        return result
