"""nn.Module machinery: registration, traversal, state dicts, devices/dtypes, repr, init, clipping."""

import math
from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
from autograd import nn, optim


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.scale = nn.Parameter(ag.ones(1))
        self.register_buffer("steps", ag.zeros(1))
        self.register_buffer("scratch", ag.zeros(2), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(3, 2))

    def forward(self, x):
        return self.head(self.block(x))


# ----------------------------------------------------------------------
# registration and traversal
# ----------------------------------------------------------------------
def test_names_follow_insertion_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "block.scale", "block.fc.weight", "block.fc.bias", "block.bn.weight", "block.bn.bias",
        "head.1.weight", "head.1.bias"]
    assert [n for n, _ in net.named_buffers()] == [
        "block.steps", "block.scratch", "block.bn.running_mean", "block.bn.running_var",
        "block.bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.bn", "head", "head.0", "head.1"]
    assert len(list(net.parameters())) == 7 and len(list(net.parameters(recurse=False))) == 0
    assert [n for n, _ in net.block.named_parameters(prefix="x", recurse=False)] == ["x.scale"]


def test_shared_modules_and_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3
    assert [n for n, _ in seq.named_parameters(remove_duplicate=False)] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_setattr_getattr_delattr():
    m = nn.Module()
    m.w = nn.Parameter(ag.ones(2))
    m.sub = nn.Linear(1, 1)
    m.plain = 3
    assert "w" in m._parameters and "sub" in m._modules and m.plain == 3
    m.w = None
    assert m.w is None and list(m.parameters()) == list(m.sub.parameters())
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = ag.ones(2)          # a plain Tensor is not a Parameter
    with pytest.raises(TypeError, match="as parameter 'w'"):
        m.w = nn.Linear(2, 2)  # as in torch: a parameter slot only takes a Parameter or None
    del m.w
    assert not hasattr(m, "w")
    m.w = nn.Linear(2, 2)
    assert "w" in m._modules
    m.w = nn.Parameter(ag.ones(1))     # a Parameter replaces the module entry
    assert "w" in m._parameters and "w" not in m._modules
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        m.missing


def test_register_checks():
    m = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", nn.Parameter(ag.ones(1)))
    with pytest.raises(TypeError):
        m.register_parameter("p", ag.ones(1))
    with pytest.raises(TypeError):
        m.register_buffer("b", np.ones(1))
    m.x = 1
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("x", ag.ones(1))
    with pytest.raises(TypeError, match="nn.Parameter or None"):
        m.register_parameter("q", nn.Parameter(ag.ones(1)) * 2)   # a computed tensor is no Parameter


def test_parameter_basics():
    data = ag.ones(3)
    p = nn.Parameter(data)
    assert p.requires_grad and p.is_leaf and isinstance(p, ag.Tensor)
    p.detach()._data[0] = 5.0
    assert data._data[0] == 5.0            # shares storage, like torch
    assert not nn.Parameter(ag.ones(1), requires_grad=False).requires_grad
    assert repr(nn.Parameter(ag.ones(1))).startswith("Parameter containing:\n")


def test_train_eval_apply_zero_grad():
    net = Net()
    assert net.eval() is net and not net.block.bn.training and not net.head[0].training
    assert net.train() is net and all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"
    out = net(ag.randn(5, 4)).sum()
    out.backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum().item()) == 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    handle = lin.register_forward_hook(lambda m, args, out: calls.append(tuple(out.shape)))
    lin(ag.ones(3, 2))
    handle.remove()
    lin(ag.ones(3, 2))
    assert calls == [(3, 2)]


# ----------------------------------------------------------------------
# state dicts
# ----------------------------------------------------------------------
def test_state_dict_keys_match_torch(torch):
    ours = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.LayerNorm(3), nn.Linear(3, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(),
                                 torch.nn.LayerNorm(3), torch.nn.Linear(3, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, v), (tk, tv) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert tuple(v.shape) == tuple(tv.shape), k
        assert v.dtype == np.dtype(str(tv.dtype).replace("torch.", "")), k


def test_state_dict_is_detached_and_shares_storage():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["weight"].requires_grad
    sd["weight"]._data[0, 0] = 42.0
    assert lin.weight._data[0, 0] == 42.0
    assert "scratch" not in Block().state_dict() and "steps" in Block().state_dict()


def test_deepcopy_gives_independent_parameters():
    import copy
    net = Net()
    clone = copy.deepcopy(net)
    assert isinstance(clone.block.fc.weight, nn.Parameter) and clone.block.fc.weight is not net.block.fc.weight
    np.testing.assert_array_equal(clone.block.fc.weight.detach().numpy(), net.block.fc.weight.detach().numpy())
    clone.block.fc.weight.detach()._data[...] = 0.0
    assert float(net.block.fc.weight.abs().sum().item()) > 0.0


def test_load_state_dict_round_trip():
    a, b = Net(), Net()
    x = ag.randn(6, 4)
    a.train()(x)                      # move BatchNorm's running stats
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    assert int(b.block.bn.num_batches_tracked.item()) == 1


def test_load_state_dict_assign_uses_the_given_tensors():
    lin = nn.Linear(3, 2)
    weight = ag.ones(2, 3)
    lin.load_state_dict({"weight": weight, "bias": np.zeros(2, np.float32)}, assign=True)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.requires_grad
    weight._data[0, 0] = 7.0
    assert lin.weight._data[0, 0] == 7.0          # shares storage: assigned, not copied
    assert list(lin.parameters())[0] is lin.weight


def test_load_state_dict_from_arrays_and_other_dtype():
    lin = nn.Linear(3, 2)
    weights = {"weight": np.arange(6.0).reshape(2, 3), "bias": np.array([1.0, -1.0])}
    lin.load_state_dict(weights)
    assert lin.weight.dtype == np.float32
    np.testing.assert_array_equal(lin.weight.detach().numpy(), weights["weight"])


def test_load_state_dict_strict_errors_list_keys():
    lin = nn.Linear(3, 2)
    sd = dict(lin.state_dict())
    del sd["bias"]
    sd["extra"] = ag.ones(1)
    with pytest.raises(RuntimeError) as err:
        lin.load_state_dict(sd)
    assert 'Missing key(s) in state_dict: "bias"' in str(err.value)
    assert 'Unexpected key(s) in state_dict: "extra"' in str(err.value)
    result = lin.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert result == (["bias"], ["extra"])


def test_load_state_dict_shape_mismatch_names_key_and_shapes():
    lin = nn.Linear(3, 2)
    sd = {"weight": ag.ones(3, 3), "bias": ag.ones(2)}
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape \(3, 3\).*\(2, 3\)"):
        lin.load_state_dict(sd, strict=False)


def test_load_state_dict_from_torch_gives_same_outputs(torch):
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    net.load_state_dict({k: v.numpy() for k, v in tnet.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(net(ag.tensor(x)).detach().numpy(), tnet(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------
# devices and dtypes
# ----------------------------------------------------------------------
def test_to_dtype_keeps_parameter_objects_and_optimizer():
    net = Net()
    params = list(net.parameters())
    opt = optim.SGD(net.parameters(), lr=0.1)
    net(ag.randn(4, 4)).sum().backward()
    assert net.double() is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert all(p.grad.dtype == np.float64 for p in net.parameters())
    assert net.block.bn.running_mean.dtype == np.float64
    assert net.block.bn.num_batches_tracked.dtype == np.int64    # integers are never cast
    opt.step()
    assert net(ag.randn(4, 4, dtype=ag.float64)).dtype == np.float64
    net.to(ag.float32)
    assert all(p.dtype == np.float32 for p in net.parameters())
    net.float().cpu()
    net.to("cpu")
    with pytest.raises(TypeError, match="floating point"):
        net.to(ag.int64)


# ----------------------------------------------------------------------
# repr
# ----------------------------------------------------------------------
def test_repr_matches_torch(torch):
    def build(m):
        return m.Sequential(
            m.Linear(784, 128), m.ReLU(), m.Dropout(0.2), m.BatchNorm1d(128), m.LayerNorm(128),
            m.LeakyReLU(), m.GELU(), m.Sigmoid(), m.Tanh(), m.Softmax(dim=1), m.LogSoftmax(dim=1),
            m.Flatten(), m.Identity(), m.Linear(128, 10, bias=False),
            m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.ReLU()]),
            m.Sequential(m.Linear(1, 1)), m.CrossEntropyLoss(), m.MSELoss(),
        )

    assert repr(build(nn)) == repr(build(torch.nn))
    assert repr(nn.BatchNorm1d(3, momentum=None, affine=False)) == repr(torch.nn.BatchNorm1d(3, momentum=None, affine=False))
    assert repr(nn.GELU("tanh")) == repr(torch.nn.GELU("tanh"))


# ----------------------------------------------------------------------
# containers
# ----------------------------------------------------------------------
def test_sequential_container_protocol():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert len(seq) == 2 and isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.ReLU)
    assert isinstance(seq[0:1], nn.Sequential) and len(seq[0:1]) == 1
    seq.append(nn.Linear(3, 1))
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    assert seq(ag.ones(4, 2)).shape == (4, 1)
    del seq[1]
    assert list(seq._modules) == ["0", "1"]
    seq.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear"]
    assert isinstance(seq.pop(1), nn.Tanh) and len(seq) == 2
    seq.extend([nn.Sigmoid()])
    assert list(seq._modules) == ["0", "1", "2"]
    with pytest.raises(IndexError):
        seq[5]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(1, 1)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]


def test_module_list_protocol():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(0, nn.Identity())
    assert [type(m).__name__ for m in layers] == ["Identity", "Linear", "Linear", "ReLU", "Tanh"]
    assert len(list(layers.parameters())) == 4
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    assert isinstance(layers.pop(0), nn.Identity) and list(layers._modules) == ["0", "1", "2", "3"]
    with pytest.raises(IndexError):
        layers[10]


# ----------------------------------------------------------------------
# init
# ----------------------------------------------------------------------
def test_calculate_gain_matches_torch(torch):
    for name, param in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None), ("conv2d", None)]:
        assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nn.init.calculate_gain("swish")


def test_fans():
    assert nn.init._calculate_fan_in_and_fan_out(ag.empty(5, 3)) == (3, 5)
    assert nn.init._calculate_fan_in_and_fan_out(ag.empty(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(ag.empty(3))


@pytest.mark.parametrize("fn,kwargs,kind,scale", [
    (nn.init.uniform_, dict(a=-2.0, b=2.0), "uniform", 2.0),
    (nn.init.normal_, dict(mean=0.0, std=0.5), "normal", 0.5),
    (nn.init.xavier_uniform_, dict(), "uniform", math.sqrt(6.0 / (200 + 300))),
    (nn.init.xavier_normal_, dict(gain=2.0), "normal", 2.0 * math.sqrt(2.0 / (200 + 300))),
    (nn.init.kaiming_uniform_, dict(a=math.sqrt(5)), "uniform", 1.0 / math.sqrt(300)),
    (nn.init.kaiming_uniform_, dict(nonlinearity="relu", mode="fan_out"), "uniform", math.sqrt(6.0 / 200)),
    (nn.init.kaiming_normal_, dict(nonlinearity="relu"), "normal", math.sqrt(2.0 / 300)),
])
def test_init_distributions(fn, kwargs, kind, scale):
    w = ag.empty(200, 300)
    before = w._version
    assert fn(w, **kwargs) is w
    assert w._version > before
    values = w.numpy()
    if kind == "uniform":
        assert values.max() <= scale and values.min() >= -scale
        assert values.std() == pytest.approx(scale / math.sqrt(3.0), rel=0.03)
    else:
        assert values.std() == pytest.approx(scale, rel=0.03)
    assert abs(values.mean()) < 0.05 * scale


def test_init_is_reproducible_and_in_place_under_grad():
    w = nn.Parameter(ag.empty(3, 4))
    ag.manual_seed(3)
    nn.init.kaiming_uniform_(w)
    first = w.detach().numpy().copy()
    ag.manual_seed(3)
    nn.init.kaiming_uniform_(w)
    np.testing.assert_array_equal(first, w.detach().numpy())
    assert w.is_leaf and w.requires_grad
    nn.init.constant_(w, 0.25)
    assert np.all(w.detach().numpy() == 0.25)
    nn.init.ones_(w)
    nn.init.zeros_(w)
    assert np.all(w.detach().numpy() == 0.0)


def test_trunc_normal_and_eye():
    w = nn.init.trunc_normal_(ag.empty(100, 100), mean=0.0, std=1.0, a=-0.5, b=1.0)
    values = w.numpy()
    assert values.min() >= -0.5 and values.max() <= 1.0 and values.std() > 0.2
    np.testing.assert_array_equal(nn.init.eye_(ag.empty(2, 3)).numpy(), np.eye(2, 3))


def test_linear_default_init_bounds():
    lin = nn.Linear(400, 50)
    bound = 1.0 / math.sqrt(400)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert w.std() == pytest.approx(bound / math.sqrt(3.0), rel=0.05)
    assert lin.weight.shape == (50, 400) and lin.bias.shape == (50,)
    assert nn.Linear(3, 2, bias=False).bias is None


# ----------------------------------------------------------------------
# clip_grad_norm_
# ----------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(torch, rng, norm_type, max_norm):
    grads = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(5).astype(np.float32)]
    ours = [nn.Parameter(ag.zeros(*g.shape)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(*g.shape)) for g in grads]
    for p, tp, g in zip(ours, theirs, grads):
        p.grad = ag.tensor(g)
        tp.grad = torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, ag.Tensor) and total.shape == ()
    assert float(total.item()) == pytest.approx(float(ttotal), rel=1e-5)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_by_hand_and_edge_cases():
    p = nn.Parameter(ag.zeros(2))
    p.grad = ag.tensor([3.0, 4.0])
    total = nn.utils.clip_grad_norm_(p, 1.0)
    assert float(total.item()) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    assert float(nn.utils.clip_grad_norm_([nn.Parameter(ag.zeros(1))], 1.0).item()) == 0.0
    q = nn.Parameter(ag.zeros(1))
    q.grad = ag.tensor([float("nan")])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([q], 1.0, error_if_nonfinite=True)
