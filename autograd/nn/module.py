"""``nn.Module``: the base class of layers and models.

A Module keeps three ordered registries, filled by plain attribute
assignment (``self.fc = Linear(...)``) through :meth:`Module.__setattr__`:

* ``_parameters``: :class:`~autograd.nn.Parameter` objects (``None`` allowed),
* ``_buffers``: Tensors that are state but not trained (running statistics),
  persistent ones going into the state dict,
* ``_modules``: child Modules.

Everything else — ``parameters()``, ``state_dict()``, ``to()``, ``repr`` —
walks these registries in insertion order, so names and order match
PyTorch's (``0.weight``, ``bn.running_mean``, ...).
"""

from collections import OrderedDict, namedtuple

import numpy

from ..backend import get_backend, normalize_device
from ..tensor import Tensor
from .parameter import Parameter

__all__ = ["Module"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What :meth:`Module.load_state_dict` returns: missing and unexpected keys."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; :meth:`remove` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks_dict):
        self._hooks_dict = hooks_dict
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self._hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _addindent(text, num_spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return first + "\n" + "\n".join(num_spaces * " " + line for line in lines)


def _parse_to(args, kwargs):
    """``(device, dtype)`` from ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str) or hasattr(arg, "type") and not isinstance(arg, (type, numpy.dtype)):
            device = arg
        elif arg is None:
            continue
        else:
            try:
                dtype = numpy.dtype(arg)
            except TypeError:
                raise TypeError(f"to() expects a device, a dtype or a Tensor, got {arg!r}") from None
    if dtype is not None:
        dtype = numpy.dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
    if device is not None:
        device = normalize_device(device)
    return device, dtype


def _move_array(tensor, device, dtype):
    """The array of ``tensor`` moved to ``device`` and (if floating) cast to ``dtype``."""
    array = tensor._data
    backend = tensor._backend
    if device is not None and device != tensor.device:
        new_backend = get_backend(device)
        array = new_backend.from_numpy(backend.to_numpy(array))
        backend = new_backend
    if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
        array = array.astype(dtype)
    return array, backend


def _retarget(tensor, device, dtype):
    """Move ``tensor``'s storage in place, keeping the object (so optimizers stay valid)."""
    array, backend = _move_array(tensor, device, dtype)
    if array is not tensor._data or backend is not tensor._backend:
        tensor._data = array
        tensor._backend = backend
        tensor._bump_version()
    grad = tensor.grad
    if grad is not None:
        _retarget(grad, device, dtype)


def _as_host_or_device_array(value, target):
    """The array inside a state-dict value (Tensor or array-like), on ``target``'s device."""
    backend = target._backend
    if isinstance(value, Tensor):
        if value._backend is backend:
            return value._data
        return backend.from_numpy(value._backend.to_numpy(value._data))
    if backend.is_array(value):
        return value
    if hasattr(value, "get") and not isinstance(value, numpy.ndarray):  # an array of another device
        value = value.get()
    return backend.from_numpy(numpy.asarray(value))


class Module:
    """Base class for all neural-network modules (``torch.nn.Module``'s contract).

    Subclasses call ``super().__init__()`` first, assign Parameters, buffers
    and submodules as attributes, and define ``forward``; calling the module
    runs ``forward`` (with any registered hooks).

    Example::

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(784, 128)
                self.fc2 = nn.Linear(128, 10)

            def forward(self, x):
                return self.fc2(F.relu(self.fc1(x)))

        model = MLP()
        [name for name, _ in model.named_parameters()]
        # ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        set_ = object.__setattr__
        set_(self, "training", True)
        set_(self, "_parameters", OrderedDict())
        set_(self, "_buffers", OrderedDict())
        set_(self, "_non_persistent_buffers_set", set())
        set_(self, "_modules", OrderedDict())
        set_(self, "_forward_hooks", OrderedDict())
        set_(self, "_forward_pre_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if not self._forward_pre_hooks and not self._forward_hooks:
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook):
        """``hook(module, args)`` runs before ``forward``; it may return replacement args."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook):
        """``hook(module, args, output)`` runs after ``forward``; it may return a replacement output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------
    # registration
    # ------------------------------------------------------------------
    def _check_member_name(self, name, kind, registry):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        """Add a Parameter (or None) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_member_name(name, "parameter", self._parameters)
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(nn.Parameter or None required)"
            )
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created "
                "explicitly. To express '{name}' as a function of another Tensor, compute the value in "
                "the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer: module state that is not a parameter (e.g. BatchNorm's running mean).

        ``persistent=False`` keeps it out of the state dict.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_member_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module (or None) under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {type(name).__name__}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        def remove_from(*containers):
            for c in containers:
                if name in c:
                    if isinstance(c, (dict, OrderedDict)):
                        del c[name]
                    else:
                        c.discard(name)

        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(self.__dict__, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' (nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
            return
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            remove_from(self.__dict__, self._parameters, self._buffers, self._non_persistent_buffers_set)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' (Module or None expected)")
            modules[name] = value
            return
        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)")
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails: look in the registries.
        d = self.__dict__
        if "_parameters" in d and name in d["_parameters"]:
            return d["_parameters"][name]
        if "_buffers" in d and name in d["_buffers"]:
            return d["_buffers"][name]
        if "_modules" in d and name in d["_modules"]:
            return d["_modules"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(object.__dir__(self))
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` (``""`` is the module itself)."""
        module = self
        if target == "":
            return module
        for item in target.split("."):
            if item not in module._modules or module._modules[item] is None:
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = module._modules[item]
        return module

    def get_parameter(self, target):
        """The parameter at dotted path ``target`` (e.g. ``"0.weight"``)."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{module._get_name()} has no parameter `{name}`")
        return module._parameters[name]

    # ------------------------------------------------------------------
    # traversal
    # ------------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (module_prefix + "." + name if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """``(name, Parameter)`` pairs, each parameter once, in registration order."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """The parameters of this module and (with ``recurse``) its descendants."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """``(name, Tensor)`` pairs of the buffers (persistent or not)."""
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """The buffers of this module and (with ``recurse``) its descendants."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_children(self):
        """``(name, module)`` for the direct children, each once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """The direct child modules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """``(name, module)`` for this module (name ``prefix``) and every descendant, depth first."""
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub_prefix, remove_duplicate)

    def modules(self):
        """This module and every descendant, each once."""
        for _, module in self.named_modules():
            yield module

    def apply(self, fn):
        """Call ``fn(m)`` on every submodule (children first) and on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------
    # modes and gradients
    # ------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (Dropout active, BatchNorm uses batch statistics); returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Set evaluation mode; same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` of every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to None by default, else to zero in place)."""
        for p in self.parameters():
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

    # ------------------------------------------------------------------
    # devices and dtypes
    # ------------------------------------------------------------------
    def _apply_to(self, device, dtype):
        for module in self.modules():
            for p in module._parameters.values():
                if p is not None:
                    _retarget(p, device, dtype)
            for b in module._buffers.values():
                if b is not None:
                    _retarget(b, device, dtype)
        return self

    def to(self, *args, **kwargs):
        """Move parameters and buffers to a device and/or cast floating ones to a dtype, in place.

        Accepts ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
        ``to(tensor)`` and the keywords ``device=`` / ``dtype=``.  The
        Parameter objects are kept (their storage is replaced), so an
        optimizer built before the move stays valid.  Returns self.

        Example::

            model.to("cuda"); model.double()
        """
        device, dtype = _parse_to(args, dict(kwargs))
        return self._apply_to(device, dtype)

    def cpu(self):
        """Move everything to the cpu; returns self."""
        return self._apply_to("cpu", None)

    def cuda(self, device=None):
        """Move everything to the GPU; returns self."""
        if device is None or isinstance(device, int):
            device = "cuda" if not device else f"cuda:{device}"
        return self._apply_to(normalize_device(device), None)

    def float(self):
        """Cast floating parameters and buffers to float32; returns self."""
        return self._apply_to(None, numpy.dtype(numpy.float32))

    def double(self):
        """Cast floating parameters and buffers to float64; returns self."""
        return self._apply_to(None, numpy.dtype(numpy.float64))

    # ------------------------------------------------------------------
    # state dicts
    # ------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An ordered dict of every parameter and persistent buffer, by dotted name.

        Values are detached tensors sharing storage with the module (copy
        them to snapshot).  Keys follow PyTorch: ``"0.weight"``,
        ``"bn.running_mean"``, ``"bn.num_batches_tracked"``.
        """
        if args:  # PyTorch's deprecated positional form state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, missing_keys, unexpected_keys, error_msgs, assign=False):
        persistent_buffers = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in list(self._parameters.items()) + list(persistent_buffers.items())
                       if v is not None}
        for name, target in local_state.items():
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            value = state_dict[key]
            value_shape = getattr(value, "shape", None)
            if value_shape is None:
                if isinstance(value, (int, float, bool)) and target.ndim == 0:
                    value = numpy.asarray(value)
                    value_shape = ()
                else:
                    error_msgs.append(
                        f'While copying the parameter named "{key}", expected a Tensor or array from the '
                        f"checkpoint but received {type(value).__name__}"
                    )
                    continue
            if tuple(value_shape) != tuple(target.shape):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(value_shape)} from "
                    f"checkpoint, the shape in current model is {tuple(target.shape)}."
                )
                continue
            try:
                if assign:
                    self._assign_from_state_dict(name, target, value)
                    continue
                array = _as_host_or_device_array(value, target)
                if array is not target._data:
                    target._data[...] = array.astype(target._data.dtype, copy=False)
                    target._bump_version()
            except Exception as ex:  # report every failing key together, as PyTorch does
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model are '
                    f"{tuple(target.shape)} and whose dimensions in the checkpoint are {tuple(value_shape)}, "
                    f"an exception occurred : {ex.args}."
                )
        for key in state_dict:
            if key.startswith(prefix):
                input_name = key[len(prefix):].split(".", 1)
                if len(input_name) > 1:
                    if input_name[0] not in self._modules:
                        unexpected_keys.append(key)
                elif input_name[0] not in local_state:
                    unexpected_keys.append(key)

    def _assign_from_state_dict(self, name, target, value):
        """``assign=True``: make the checkpoint's tensor the module's (no copy when it is a Tensor)."""
        if not isinstance(value, Tensor):
            value = Tensor._make(target._backend.from_numpy(numpy.asarray(value)), target._backend)
        if name in self._parameters:
            self._parameters[name] = Parameter(value.detach(), requires_grad=target.requires_grad)
        else:
            self._buffers[name] = value

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from ``state_dict`` into this module.

        Values may be Tensors (any device) or arrays; they are copied into
        the existing storage, cast to each target's dtype.  Returns
        ``(missing_keys, unexpected_keys)``.  With ``strict`` (default) any
        missing or unexpected key raises ``RuntimeError`` listing them; a
        shape mismatch always raises, naming the key and both shapes.
        ``assign=True`` makes the checkpoint's tensors the module's own
        (keeping each parameter's ``requires_grad``) instead of copying.

        Example::

            model2.load_state_dict(model.state_dict())
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        missing_keys, unexpected_keys, error_msgs = [], [], []
        state_dict = OrderedDict(state_dict)

        def load(module, local_state_dict, prefix=""):
            module._load_from_state_dict(local_state_dict, prefix, missing_keys, unexpected_keys, error_msgs,
                                         assign)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state = {k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)}
                    load(child, child_state, child_prefix)

        load(self, state_dict)
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(error_msgs)))
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # ------------------------------------------------------------------
    # repr
    # ------------------------------------------------------------------
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text inside this module's parentheses in its repr (subclasses override)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = []
        for key, module in self._modules.items():
            child_lines.append("(" + key + "): " + _addindent(repr(module), 2))
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
