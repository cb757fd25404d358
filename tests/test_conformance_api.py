"""PyTorch's keyword names, -1 in broadcast_to/expand, exception types and ``ag.device``.

Each case is checked against PyTorch (when installed) so the expectations are torch's.
"""

import pickle

import numpy as np
import pytest

import autograd as ag


def _x(lib):
    return lib.arange(6.0).reshape(2, 3)


# (name, call(lib, x)) -- every call must work in torch and give the same values in ag
KEYWORD_CALLS = [
    ("flip method dims=", lambda lib, x: x.flip(dims=(0,))),
    ("flip fn dims=", lambda lib, x: lib.flip(x, dims=(0, 1))),
    ("flip fn input=", lambda lib, x: lib.flip(input=x, dims=[1])),
    ("flip varargs", lambda lib, x: x.flip(0, 1)),
    ("permute dims=", lambda lib, x: x.permute(dims=(1, 0))),
    ("permute fn input=", lambda lib, x: lib.permute(input=x, dims=(1, 0))),
    ("permute tuple", lambda lib, x: x.permute((1, 0))),
    ("permute list", lambda lib, x: x.permute([1, 0])),
    ("expand size=", lambda lib, x: x[:1].expand(size=(2, 3))),
    ("reshape shape=", lambda lib, x: x.reshape(shape=(3, 2))),
    ("reshape fn", lambda lib, x: lib.reshape(input=x, shape=(3, -1))),
    ("repeat repeats=", lambda lib, x: x.repeat(repeats=(2, 1))),
    ("transpose fn", lambda lib, x: lib.transpose(input=x, dim0=0, dim1=1)),
    ("transpose method", lambda lib, x: x.transpose(dim0=1, dim1=0)),
    ("swapaxes", lambda lib, x: lib.swapaxes(input=x, axis0=0, axis1=1)),
    ("swapdims", lambda lib, x: lib.swapdims(x, dim0=0, dim1=1)),
    ("t", lambda lib, x: lib.t(input=x)),
    ("squeeze", lambda lib, x: lib.squeeze(input=x[None], dim=0)),
    ("unsqueeze", lambda lib, x: lib.unsqueeze(input=x, dim=1)),
    ("cat", lambda lib, x: lib.cat(tensors=[x, x], dim=1)),
    ("cat axis=", lambda lib, x: lib.cat([x, x], axis=1)),
    ("concatenate axis=", lambda lib, x: lib.concatenate(tensors=[x, x], axis=0)),
    ("stack", lambda lib, x: lib.stack(tensors=[x, x], dim=1)),
    ("split fn", lambda lib, x: lib.split(tensor=x, split_size_or_sections=[1, 2], dim=1)),
    ("split method split_size=", lambda lib, x: x.split(split_size=1, dim=0)),
    ("chunk", lambda lib, x: lib.chunk(input=x, chunks=3, dim=1)),
    ("flatten", lambda lib, x: lib.flatten(input=x[None], start_dim=1, end_dim=-1)),
    ("unbind", lambda lib, x: lib.unbind(input=x, dim=1)),
    ("movedim", lambda lib, x: lib.movedim(input=x, source=0, destination=1)),
    ("broadcast_to size=", lambda lib, x: lib.broadcast_to(x, size=(2, 2, 3))),
    ("broadcast_to input=", lambda lib, x: lib.broadcast_to(input=x, size=(2, 2, 3))),
    ("matmul", lambda lib, x: lib.matmul(input=x, other=x.T)),
    ("matmul method", lambda lib, x: x.matmul(other=x.T)),
    ("mm", lambda lib, x: lib.mm(input=x, mat2=x.T)),
    ("mm method", lambda lib, x: x.mm(mat2=x.T)),
    ("bmm", lambda lib, x: lib.bmm(input=x[None], mat2=x.T[None])),
    ("bmm method", lambda lib, x: x[None].bmm(mat2=x.T[None])),
    ("outer", lambda lib, x: lib.outer(input=x[0], vec2=x[1])),
    ("outer method", lambda lib, x: x[0].outer(vec2=x[1])),
    ("dot", lambda lib, x: lib.dot(input=x[0], tensor=x[1])),
    ("dot method", lambda lib, x: x[0].dot(tensor=x[1])),
    ("inner", lambda lib, x: lib.inner(input=x[0], other=x[1])),
]


def _values(out):
    if isinstance(out, (tuple, list)):
        return [_values(o) for o in out]
    return np.asarray(out.detach().numpy() if hasattr(out, "detach") else out).tolist()


@pytest.mark.parametrize("name,call", KEYWORD_CALLS, ids=[n for n, _ in KEYWORD_CALLS])
def test_torch_keyword_names(torch, name, call):
    expected = call(torch, _x(torch))
    actual = call(ag, _x(ag))
    assert _values(actual) == _values(expected)


def test_linear_keyword_names():
    x, w, b = ag.ones(2, 3), ag.ones(4, 3), ag.zeros(4)
    assert ag.linear(input=x, weight=w, bias=b).shape == (2, 4)


@pytest.mark.parametrize("call", [
    lambda x: x.flip(0, dims=(0,)),
    lambda x: x.reshape(3, 2, shape=(3, 2)),
    lambda x: x.permute(1, 0, dims=(1, 0)),
    lambda x: x.split(1, split_size=1),
])
def test_shape_both_positional_and_keyword_is_an_error(call):
    with pytest.raises(TypeError, match="multiple values"):
        call(_x(ag))


@pytest.mark.parametrize("shape,size", [
    ((2, 3), (-1, 3)), ((2, 3), (2, -1, -1)), ((1, 3), (4, -1)), ((3,), (2, -1)),
])
def test_broadcast_to_and_expand_accept_minus_one(torch, shape, size):
    expected = torch.broadcast_to(torch.zeros(shape), size).shape
    x = ag.zeros(*shape, requires_grad=True)
    y = ag.broadcast_to(x, size)
    assert y.shape == tuple(expected)
    assert x.expand(size).shape == tuple(expected)
    assert x.broadcast_to(size).shape == tuple(expected)
    y.sum().backward()   # still differentiable: the gradient sums back
    assert x.grad.shape == x.shape


def test_broadcast_to_rejects_minus_one_in_a_new_leading_dim(torch):
    with pytest.raises(RuntimeError):
        torch.broadcast_to(torch.zeros(2, 3), (-1, 2, 3))
    with pytest.raises(RuntimeError, match="leading"):
        ag.broadcast_to(ag.zeros(2, 3), (-1, 2, 3))
    with pytest.raises(RuntimeError):
        ag.broadcast_to(ag.zeros(2, 3), (3, 3))


# ----------------------------------------------------------------------
# exception types: torch's class, and the natural one where they differ
# ----------------------------------------------------------------------
@pytest.mark.parametrize("conv", [float, int])
def test_scalar_conversion_of_many_elements_is_value_error(torch, conv):
    with pytest.raises(ValueError):
        conv(torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="only one element tensors"):
        conv(ag.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError):   # the old type keeps working
        conv(ag.tensor([]))
    assert conv(ag.tensor([2.0])) == conv(torch.tensor([2.0]))


def test_float_index_is_index_error(torch):
    tx = torch.zeros(2, 3)
    with pytest.raises(IndexError):
        tx[1.0]
    x = ag.zeros(2, 3)
    for index in (1.0, (0, 1.5), (None, 1.0), np.float64(1.0)):
        with pytest.raises(IndexError, match="valid indices"):
            x[index]
        with pytest.raises(TypeError):
            x[index]
        with pytest.raises(IndexError, match="valid indices"):
            x[index] = 1.0
    with pytest.raises(TypeError):   # torch: TypeError for a str index; unchanged
        x["a"]
    assert x[1].shape == (3,)


def test_format_spec_on_a_non_scalar_tensor_is_type_error(torch):
    for lib in (torch, ag):
        with pytest.raises(TypeError):
            f"{lib.tensor([1.5, 2.5]):.2f}"
        with pytest.raises(TypeError):
            f"{lib.tensor([1.5]):.2f}"
        assert f"{lib.tensor(1.5):.2f}" == "1.50"
        assert f"{lib.tensor(1.5)}" == "1.5"
        assert f"{lib.tensor(3):d}" == "3"
        assert f"{lib.tensor([1.5, 2.0])}" == "tensor([1.5000, 2.0000])"


def test_cat_and_stack_of_nothing(torch):
    with pytest.raises(ValueError):
        torch.cat([])
    with pytest.raises(RuntimeError):
        torch.stack([])
    for fn in (ag.cat, ag.stack):
        with pytest.raises(ValueError, match="non-empty"):
            fn([])
        with pytest.raises(RuntimeError, match="non-empty"):
            fn([])


@pytest.mark.parametrize("method,args", [("chunk", (1,)), ("split", (1,))])
def test_chunk_and_split_of_a_0d_tensor(torch, method, args):
    with pytest.raises(RuntimeError, match="1-dimensional"):
        getattr(torch.tensor(1.0), method)(*args)
    with pytest.raises(RuntimeError, match="1-dimensional"):
        getattr(ag.tensor(1.0), method)(*args)


# ----------------------------------------------------------------------
# devices
# ----------------------------------------------------------------------
def test_cpu_with_an_index_is_cpu(torch):
    assert torch.zeros(1, device="cpu:0").device.type == "cpu"
    assert ag.zeros(2, device="cpu:0").device == "cpu"
    assert ag.tensor([1.0], device="cpu:0").device == "cpu"
    x = ag.ones(2)
    assert x.to("cpu:0") is x
    assert ag.nn.Linear(2, 2).to("cpu:0").weight.device == "cpu"


@pytest.mark.parametrize("bad", ["tpu", "CPU", "cuda:x", "cuda:-1", "cpu:"])
def test_unknown_device_is_runtime_and_value_error(torch, bad):
    with pytest.raises(RuntimeError):
        torch.device(bad)
    for error in (RuntimeError, ValueError):
        with pytest.raises(error, match=repr(bad).replace("-", r"\-")):
            ag.zeros(2, device=bad)
        with pytest.raises(error):
            ag.device(bad)


def test_device_object_like_torch(torch):
    for spec in ("cpu", "cuda", "cuda:0", "cuda:1", "cpu:0"):
        d, td = ag.device(spec), torch.device(spec)
        assert (d.type, d.index, str(d), repr(d)) == (td.type, td.index, str(td), repr(td))
    d = ag.device("cuda", 0)
    assert (d.type, d.index, str(d)) == ("cuda", 0, "cuda:0")
    assert ag.device(d) is d
    assert ag.device(torch.device("cpu")) == "cpu"
    assert pickle.loads(pickle.dumps(ag.device("cuda:0"))).index == 0
    with pytest.raises(TypeError):
        ag.device(3)


def test_tensor_device_is_a_device_that_still_acts_as_a_string():
    x = ag.zeros(2)
    d = x.device
    assert isinstance(d, ag.device) and isinstance(d, str)
    assert d == "cpu" and str(d) == "cpu" and f"{d}" == "cpu" and f"on {d}" == "on cpu"
    assert d.type == "cpu" and d.index is None
    assert {d: 1}["cpu"] == 1 and {"cpu": 2}[d] == 2
    assert x.device == ag.device("cpu")


def test_device_objects_are_accepted_wherever_strings_are(torch):
    d = ag.device("cpu")
    assert ag.zeros(2, device=d).device == "cpu"
    assert ag.tensor([1.0], device=ag.device("cpu:0")).device == "cpu"
    x = ag.ones(2)
    assert x.to(d) is x and x.to(device=d) is x
    assert x.new_zeros(3, device=x.device).device == "cpu"
    assert ag.nn.Linear(2, 2).to(d).weight.device == "cpu"
    assert ag.zeros(2, device=torch.device("cpu")).device == "cpu"
