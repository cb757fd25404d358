"""The optimizer base class: parameter groups, per-parameter state, state dicts.

Subclasses implement :meth:`Optimizer.step` as one loop over the groups and
their parameters that calls ONE in-place backend kernel per parameter
(``p._backend.adam_step(...)``, ``sgd_step``, ``rmsprop_step``) on the raw
arrays.  Working on arrays keeps the step outside the autodiff graph without
entering ``no_grad`` and keeps the per-step Python cost to a few attribute
lookups per parameter — the step is on the hot path of every training loop.
"""

from collections import defaultdict
from contextlib import contextmanager
from itertools import chain

import numpy

from ..backend import get_backend
from ..grad_mode import enable_grad
from ..tensor import Tensor


class _RequiredParameter:
    """Marks a hyper-parameter that has no default (like SGD's ``lr`` in old PyTorch)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _zeros_like_param(param):
    """A zero state tensor with the parameter's shape, dtype and device."""
    data = param._data
    return Tensor._make(param._backend.xp.zeros(data.shape, dtype=data.dtype), param._backend)


def _step_tensor(value=0.0):
    """The step counter: a 0-d float32 cpu tensor, as PyTorch keeps ``state['step']``."""
    return Tensor._make(numpy.array(value, dtype=numpy.float32), get_backend("cpu"))


def _copy_state_value(value, param, key):
    """A copy of a loaded state value, placed like PyTorch does it.

    ``step`` stays a float32 cpu tensor; other tensors (and arrays) move to
    the parameter's device and, being floating point, take its dtype.
    Containers are copied recursively; anything else is returned as is.
    """
    if isinstance(value, dict):
        return {k: _copy_state_value(v, param, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_state_value(v, param, key) for v in value)
    is_array = isinstance(value, Tensor) or hasattr(value, "__array__") or hasattr(value, "__cuda_array_interface__")
    if key == "step":
        if isinstance(value, Tensor):
            host = value._backend.to_numpy(value._data)
        elif is_array or isinstance(value, (int, float)):
            host = numpy.asarray(value) if not hasattr(value, "get") else value.get()
        else:
            return value
        return _step_tensor(float(numpy.asarray(host).reshape(())))
    if not is_array or isinstance(value, (str, bytes)):
        return value
    if isinstance(value, Tensor):
        if value._backend is param._backend:
            array = value._data
        else:
            array = param._backend.from_numpy(value._backend.to_numpy(value._data))
    elif param._backend.is_array(value):
        array = value
    else:
        host = value.get() if hasattr(value, "get") and not isinstance(value, numpy.ndarray) else value
        array = param._backend.from_numpy(numpy.asarray(host))
    dtype = param.dtype if array.dtype.kind == "f" else array.dtype
    # astype(copy=True) always copies, so the optimizer never aliases the loaded dict.
    return Tensor._make(array.astype(dtype, copy=True), param._backend)


class Optimizer:
    """Base class of all optimizers (``torch.optim.Optimizer``'s contract).

    Args:
        params: an iterable of Tensors, or of dicts defining parameter groups
            (each with a ``"params"`` entry and optional per-group options).
        defaults: the default value of every option, filled into each group.

    Attributes:
        param_groups: list of dicts, each with ``"params"`` (a list of
            Tensors) and every option of ``defaults``.
        state: per-parameter dict of state tensors, keyed by the parameter.

    Example::

        opt = ag.optim.SGD([{"params": model[0].parameters()},
                            {"params": model[2].parameters(), "lr": 1e-3}],
                           lr=1e-2, momentum=0.9)
        opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got {type(params).__name__}"
            )
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``"params"`` and optional options).

        Options missing from the group take the optimizer's defaults; a
        parameter may belong to only one group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        param_group = dict(param_group)
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        ids = [id(p) for p in param_group["params"]]
        if len(set(ids)) != len(ids):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        existing = set()
        for group in self.param_groups:
            existing.update(id(p) for p in group["params"])
        if not existing.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of every optimized parameter.

        With ``set_to_none`` (the default) ``.grad`` becomes None, which frees
        memory and lets the next backward write the gradient without adding;
        otherwise the existing gradient is zeroed in place.
        """
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if grad.grad_fn is not None:
                        grad = grad.detach()
                        p.grad = grad
                    grad._data.fill(0)
                    grad._bump_version()

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    @contextmanager
    def _contiguous_params(self):
        """Run the update on C-contiguous arrays: the kernels update a parameter in place
        in one flat pass, so one whose array is strided (a transposed view made a
        Parameter) gets a contiguous copy for the step, written back afterwards."""
        swapped = []
        for group in self.param_groups:
            for p in group["params"]:
                data = p._data
                if not data.flags.c_contiguous:
                    p._data = p._backend.xp.ascontiguousarray(data)
                    swapped.append((p, data))
        try:
            yield
        finally:
            for p, data in swapped:
                data[...] = p._data
                p._data = data

    def _evaluate_closure(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------
    # state dicts (PyTorch's layout)
    # ------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are replaced by their index in the order of the groups,
        so the dict can be loaded into an optimizer over other (equally
        shaped) parameters.  The state tensors are references, as in PyTorch.
        """
        param_mappings = {}
        start_index = 0
        packed_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start_index):
                param_mappings.setdefault(id(p), i)
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            packed_groups.append(packed)
        packed_state = {
            (param_mappings[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        return {"state": packed_state, "param_groups": packed_groups}

    def load_state_dict(self, state_dict):
        """Load a dict from :meth:`state_dict` (its values are copied).

        State tensors move to each parameter's device and take its dtype
        (except ``step``, a float32 cpu tensor).  Raises ``ValueError`` when
        the number or sizes of the parameter groups differ.
        """
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict or "state" not in state_dict:
            raise ValueError("optimizer state_dict must be a dict with 'state' and 'param_groups' entries")
        groups = self.param_groups
        saved_groups = list(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}) than the optimizer ({len(groups)})"
            )
        param_lens = [len(g["params"]) for g in groups]
        saved_lens = [len(g["params"]) for g in saved_groups]
        if any(a != b for a, b in zip(param_lens, saved_lens)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                f"optimizer's group (saved sizes {saved_lens}, optimizer sizes {param_lens})"
            )
        id_map = dict(zip(
            chain.from_iterable(g["params"] for g in saved_groups),
            chain.from_iterable(g["params"] for g in groups),
        ))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            # Index keys may come back as strings from a text-keyed file format.
            index = int(k) if isinstance(k, str) and k.lstrip("-").isdigit() else k
            if index in id_map:
                param = id_map[index]
                state[param] = {key: _copy_state_value(value, param, key) for key, value in v.items()}
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            new_group = dict(saved)
            if isinstance(new_group.get("betas"), list):
                new_group["betas"] = tuple(new_group["betas"])
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        self.state = state
        self.param_groups = new_groups
