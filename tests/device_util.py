"""Device-generic checks shared by tests/test_strict_device.py and tests/test_cuda.py.

Every check runs the same computation on the cpu device and on another
device ("strict" on any machine, "cuda" on a GPU) and compares the results:
op forward and backward, nn layers, a few optimizer steps of an MLP,
save/load, DataLoader batches and device-mixing errors.

``register_strict()`` registers the test-only "strict" device
(:mod:`autograd.backend.strict`); it is never registered by the library.
"""

import os
from dataclasses import dataclass, field

import numpy as np

import autograd as ag
from autograd.backend import get_backend, register_backend


def register_strict():
    """Register the test-only "strict" device (idempotent); returns its name."""
    from autograd.backend.strict import StrictBackend
    register_backend("strict", StrictBackend)
    return "strict"


def host(t):
    """A host numpy copy of tensor ``t`` (outside the graph)."""
    return t.detach().cpu().numpy()


def assert_on_device(t, device):
    """``t`` lives on ``device`` and its array really is that device's array type."""
    assert t.device == device, f"expected a tensor on {device!r}, got {t.device!r}"
    backend = get_backend(device)
    assert backend.is_array(t._data), (
        f"tensor on {device!r} holds a {type(t._data).__module__}.{type(t._data).__name__}, "
        f"not a {device} array")


def assert_close(actual, expected, rtol, atol, what=""):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


# ----------------------------------------------------------------------
# ops: one row per op; inputs drawn on the host, then placed on each device
# ----------------------------------------------------------------------
@dataclass
class Input:
    shape: tuple
    kind: str = "normal"        # normal | positive | index:N (int64 in [0, N)) | mask
    grad: bool = True


@dataclass
class OpCase:
    name: str
    fn: object                  # fn(*tensors) -> Tensor or tuple of Tensors
    inputs: list = field(default_factory=list)

    def __str__(self):
        return self.name


def _draw(spec, rng, dtype):
    if spec.kind == "normal":
        return rng.standard_normal(spec.shape).astype(dtype)
    if spec.kind == "positive":
        return rng.uniform(0.5, 2.0, spec.shape).astype(dtype)
    if spec.kind.startswith("index:"):
        return rng.integers(0, int(spec.kind.split(":")[1]), size=spec.shape).astype(np.int64)
    if spec.kind.startswith("ignore:"):
        # class indices with every third one set to the default ignore_index
        target = rng.integers(0, int(spec.kind.split(":")[1]), size=spec.shape).astype(np.int64)
        target[::3] = -100
        return target
    if spec.kind == "mask":
        return rng.random(spec.shape) > 0.5
    raise ValueError(spec.kind)


def _x(*shape, kind="normal"):
    return Input(tuple(shape), kind)


def _idx(n, *shape):
    return Input(tuple(shape), f"index:{n}", grad=False)


def _idx_ignore(n, *shape):
    return Input(tuple(shape), f"ignore:{n}", grad=False)


def _inplace_chain(x):
    y = 3 * x
    y += 1
    y *= x
    return y


OP_CASES = [
    # elementwise, unary
    OpCase("exp", lambda x: ag.exp(x), [_x(3, 4)]),
    OpCase("log", lambda x: ag.log(x), [_x(3, 4, kind="positive")]),
    OpCase("log1p", lambda x: ag.log1p(x), [_x(3, 4, kind="positive")]),
    OpCase("expm1", lambda x: ag.expm1(x), [_x(3, 4)]),
    OpCase("sqrt", lambda x: ag.sqrt(x), [_x(3, 4, kind="positive")]),
    OpCase("rsqrt", lambda x: ag.rsqrt(x), [_x(3, 4, kind="positive")]),
    OpCase("sin", lambda x: ag.sin(x), [_x(5)]),
    OpCase("cos", lambda x: ag.cos(x), [_x(5)]),
    OpCase("tanh", lambda x: ag.tanh(x), [_x(3, 4)]),
    OpCase("sigmoid", lambda x: ag.sigmoid(x), [_x(3, 4)]),
    OpCase("relu", lambda x: ag.relu(x), [_x(4, 5)]),
    OpCase("abs", lambda x: ag.abs(x), [_x(3, 4)]),
    OpCase("sign", lambda x: ag.sign(x), [_x(3, 4)]),
    OpCase("neg", lambda x: -x, [_x(3, 4)]),
    OpCase("reciprocal", lambda x: ag.reciprocal(x), [_x(3, 4, kind="positive")]),
    OpCase("square", lambda x: ag.square(x), [_x(3, 4)]),
    OpCase("pow_scalar", lambda x: x ** 2.5, [_x(3, 4, kind="positive")]),
    OpCase("rpow_scalar", lambda x: 2.0 ** x, [_x(3, 4)]),
    OpCase("clamp", lambda x: ag.clamp(x, -0.5, 0.5), [_x(3, 4)]),
    OpCase("clamp_min", lambda x: x.clamp(min=0.1), [_x(3, 4)]),
    # elementwise, binary with broadcasting and numbers
    OpCase("add_broadcast", lambda a, b: a + b, [_x(3, 4), _x(4)]),
    OpCase("sub_broadcast", lambda a, b: a - b, [_x(3, 1), _x(1, 4)]),
    OpCase("mul_0d", lambda a, b: a * b, [_x(3, 4), _x()]),
    OpCase("div", lambda a, b: a / b, [_x(3, 4), _x(3, 4, kind="positive")]),
    OpCase("pow_tensor", lambda a, b: a ** b, [_x(3, 4, kind="positive"), _x(4)]),
    OpCase("scalar_mix", lambda x: (2.0 * x + 1.5) / 3.0 - 1.0, [_x(3, 4)]),
    OpCase("rsub_rdiv", lambda x: 1.0 - 2.0 / x, [_x(3, 4, kind="positive")]),
    OpCase("maximum", lambda a, b: ag.maximum(a, b), [_x(3, 4), _x(3, 4)]),
    OpCase("minimum", lambda a, b: ag.minimum(a, b), [_x(3, 4), _x(4)]),
    OpCase("where", lambda a, b: ag.where(a > 0, a, b), [_x(3, 4), _x(3, 4)]),
    OpCase("compare", lambda a, b: (a > b), [_x(3, 4), _x(3, 4)]),
    # reductions
    OpCase("sum_all", lambda x: x.sum(), [_x(3, 4)]),
    OpCase("sum_dim", lambda x: x.sum(dim=1), [_x(3, 4)]),
    OpCase("sum_dims_keepdim", lambda x: x.sum(dim=(0, 2), keepdim=True), [_x(2, 3, 4)]),
    OpCase("mean", lambda x: x.mean(dim=-1), [_x(3, 4)]),
    OpCase("var", lambda x: x.var(dim=1), [_x(3, 4)]),
    OpCase("std", lambda x: x.std(), [_x(3, 4)]),
    OpCase("prod", lambda x: x.prod(dim=1), [_x(3, 4, kind="positive")]),
    OpCase("logsumexp", lambda x: ag.logsumexp(x, dim=1), [_x(3, 4)]),
    OpCase("norm", lambda x: x.norm(), [_x(3, 4)]),
    OpCase("max_all", lambda x: x.max(), [_x(3, 4)]),
    OpCase("max_dim", lambda x: x.max(dim=1), [_x(3, 4)]),
    OpCase("min_dim", lambda x: x.min(dim=0), [_x(3, 4)]),
    OpCase("argmax", lambda x: x.argmax(dim=1), [_x(3, 4)]),
    OpCase("argmin_all", lambda x: x.argmin(), [_x(3, 4)]),
    OpCase("min_all", lambda x: x.min(), [_x(3, 4)]),
    # dtype conversions and in-place ops inside the graph
    OpCase("double_float", lambda x: (x.double() * 2).float(), [_x(3, 4)]),
    OpCase("long", lambda x: (x * 3).long(), [_x(3, 4)]),
    OpCase("inplace_in_graph", lambda x: _inplace_chain(x), [_x(3, 4)]),
    OpCase("where_scalar", lambda x: ag.where(x > 0, x, 0.0), [_x(3, 4)]),
    OpCase("detach_mix", lambda x: x * x.detach(), [_x(3, 4)]),
    # shape
    OpCase("reshape", lambda x: x.reshape(4, 3), [_x(3, 4)]),
    OpCase("view_flatten", lambda x: x.view(2, 12).flatten(), [_x(2, 3, 4)]),
    OpCase("squeeze_unsqueeze", lambda x: x.unsqueeze(0).squeeze(2), [_x(3, 1, 4)]),
    OpCase("transpose_T", lambda x: x.transpose(0, 1) + x.T, [_x(4, 4)]),
    OpCase("permute", lambda x: x.permute(2, 0, 1), [_x(2, 3, 4)]),
    OpCase("expand", lambda x: x.expand(3, 4), [_x(1, 4)]),
    OpCase("repeat", lambda x: x.repeat(2, 3), [_x(2, 3)]),
    OpCase("cat", lambda a, b: ag.cat([a, b], dim=0), [_x(2, 3), _x(4, 3)]),
    OpCase("stack", lambda a, b: ag.stack([a, b], dim=1), [_x(2, 3), _x(2, 3)]),
    OpCase("split", lambda x: x.split(2, dim=1), [_x(3, 5)]),
    OpCase("chunk", lambda x: x.chunk(2, dim=0), [_x(4, 3)]),
    OpCase("flip", lambda x: x.flip(0), [_x(3, 4)]),
    # indexing
    OpCase("index_int_slice", lambda x: x[1, 1:3] * 2 + x[::2, -1].sum(), [_x(4, 5)]),
    OpCase("index_none_ellipsis", lambda x: x[None, ..., 0], [_x(3, 4)]),
    OpCase("index_int_array_repeats", lambda x: x[[0, 2, 0, 0]], [_x(3, 4)]),
    OpCase("index_tensor", lambda x, i: x[i], [_x(5, 2), _idx(5, 6)]),
    OpCase("index_bool_mask", lambda x: x[x > 0], [_x(4, 5)]),
    # linear algebra
    OpCase("matmul_2d", lambda a, b: a @ b, [_x(3, 4), _x(4, 5)]),
    OpCase("matmul_batched_broadcast", lambda a, b: ag.matmul(a, b), [_x(2, 3, 4), _x(4, 2)]),
    OpCase("matmul_1d", lambda a, b: a @ b, [_x(4), _x(4, 3)]),
    OpCase("mm", lambda a, b: ag.mm(a, b), [_x(2, 3), _x(3, 2)]),
    OpCase("bmm", lambda a, b: ag.bmm(a, b), [_x(2, 3, 4), _x(2, 4, 5)]),
    OpCase("outer", lambda a, b: ag.outer(a, b), [_x(3), _x(4)]),
    OpCase("dot", lambda a, b: ag.dot(a, b), [_x(5), _x(5)]),
    # activations and softmax
    OpCase("softmax_last", lambda x: ag.softmax(x, dim=-1), [_x(3, 7)]),
    OpCase("softmax_dim0", lambda x: x.softmax(0), [_x(3, 7)]),
    OpCase("log_softmax_last", lambda x: ag.log_softmax(x, dim=1), [_x(4, 9)]),
    OpCase("log_softmax_3d_mid", lambda x: x.log_softmax(1), [_x(2, 3, 4)]),
]


class _Lazy:
    """A module of the library (``ag.nn``, ...) looked up when a case runs, not at collection."""

    def __init__(self, path):
        self._path = path

    def __getattr__(self, name):
        module = ag
        for part in self._path.split("."):
            module = getattr(module, part)
        return getattr(module, name)


def _functional_cases():
    F = _Lazy("nn.functional")
    return [
        OpCase("F.linear", lambda x, w, b: F.linear(x, w, b), [_x(4, 3), _x(5, 3), _x(5)]),
        OpCase("F.linear_nobias", lambda x, w: F.linear(x, w), [_x(4, 3), _x(5, 3)]),
        OpCase("F.relu", lambda x: F.relu(x), [_x(4, 3)]),
        OpCase("F.gelu", lambda x: F.gelu(x), [_x(4, 3)]),
        OpCase("F.leaky_relu", lambda x: F.leaky_relu(x, 0.1), [_x(4, 3)]),
        OpCase("F.softmax", lambda x: F.softmax(x, dim=1), [_x(4, 3)]),
        OpCase("F.log_softmax", lambda x: F.log_softmax(x, dim=1), [_x(4, 3)]),
        OpCase("F.cross_entropy", lambda x, t: F.cross_entropy(x, t), [_x(6, 5), _idx(5, 6)]),
        OpCase("F.cross_entropy_sum", lambda x, t: F.cross_entropy(x, t, reduction="sum"),
               [_x(6, 5), _idx(5, 6)]),
        OpCase("F.cross_entropy_none", lambda x, t: F.cross_entropy(x, t, reduction="none"),
               [_x(6, 5), _idx(5, 6)]),
        OpCase("F.cross_entropy_smoothing",
               lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), [_x(6, 5), _idx(5, 6)]),
        OpCase("F.cross_entropy_ignore_index", lambda x, t: F.cross_entropy(x, t),
               [_x(7, 5), _idx_ignore(5, 7)]),
        OpCase("F.cross_entropy_ignore_smoothing_sum",
               lambda x, t: F.cross_entropy(x, t, reduction="sum", label_smoothing=0.3),
               [_x(7, 5), _idx_ignore(5, 7)]),
        OpCase("nn.CrossEntropyLoss",
               lambda x, t: ag.nn.CrossEntropyLoss(label_smoothing=0.1)(x, t),
               [_x(6, 5), _idx(5, 6)]),
        OpCase("F.nll_loss", lambda x, t: F.nll_loss(F.log_softmax(x, dim=1), t),
               [_x(6, 5), _idx(5, 6)]),
        OpCase("F.nll_loss_ignore_none",
               lambda x, t: F.nll_loss(F.log_softmax(x, dim=1), t, reduction="none"),
               [_x(7, 5), _idx_ignore(5, 7)]),
        OpCase("F.mse_loss", lambda a, b: F.mse_loss(a, b), [_x(4, 3), _x(4, 3)]),
        OpCase("F.mse_loss_sum", lambda a, b: F.mse_loss(a, b, reduction="sum"),
               [_x(4, 3), _x(4, 3)]),
        OpCase("F.l1_loss", lambda a, b: F.l1_loss(a, b), [_x(4, 3), _x(4, 3)]),
        OpCase("F.bce_with_logits", lambda a, b: F.binary_cross_entropy_with_logits(a, b),
               [_x(4, 3), Input((4, 3), "positive", grad=False)]),
        OpCase("F.dropout_eval", lambda x: F.dropout(x, 0.5, training=False), [_x(4, 3)]),
    ]


def all_op_cases():
    return OP_CASES + _functional_cases()


def _outputs(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def run_op(case, device, dtype=np.float32, seed=0):
    """Forward + backward of ``case`` on ``device``: (outputs, input grads) as host arrays."""
    rng = np.random.default_rng(seed)
    arrays = [_draw(spec, rng, dtype) for spec in case.inputs]
    tensors = []
    for spec, array in zip(case.inputs, arrays):
        needs_grad = spec.grad and array.dtype.kind == "f"
        tensors.append(ag.tensor(array, requires_grad=needs_grad, device=device))
    outs = _outputs(case.fn(*tensors))
    loss = None
    weight_rng = np.random.default_rng(seed + 1)
    for out in outs:
        assert_on_device(out, device)
        if out.requires_grad:
            weight = ag.tensor(weight_rng.standard_normal(out.shape).astype(out.dtype),
                               device=device)
            term = (out * weight).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    grads = []
    for t in tensors:
        if t.grad is not None:
            assert_on_device(t.grad, device)
        grads.append(None if t.grad is None else host(t.grad))
    return [host(o) for o in outs], grads


def check_op_against_cpu(case, device, rtol=1e-5, atol=1e-6, dtype=np.float32):
    expected_outs, expected_grads = run_op(case, "cpu", dtype)
    outs, grads = run_op(case, device, dtype)
    assert len(outs) == len(expected_outs)
    for i, (a, e) in enumerate(zip(outs, expected_outs)):
        assert_close(a, e, rtol, atol, f"{case.name} on {device}: output {i}")
    for i, (a, e) in enumerate(zip(grads, expected_grads)):
        assert (a is None) == (e is None), f"{case.name} on {device}: grad {i} presence differs"
        if a is not None:
            assert_close(a, e, rtol, atol, f"{case.name} on {device}: grad of input {i}")


# ----------------------------------------------------------------------
# nn layers
# ----------------------------------------------------------------------
def layer_cases():
    nn = _Lazy("nn")
    return {
        "Linear": (lambda: nn.Linear(5, 4), (6, 5)),
        "Sequential_MLP": (lambda: nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3)),
                           (6, 5)),
        "LeakyReLU": (lambda: nn.LeakyReLU(0.2), (4, 5)),
        "GELU": (lambda: nn.GELU(), (4, 5)),
        "Sigmoid_Tanh": (lambda: nn.Sequential(nn.Sigmoid(), nn.Tanh()), (4, 5)),
        "Softmax": (lambda: nn.Softmax(dim=1), (4, 5)),
        "LogSoftmax": (lambda: nn.LogSoftmax(dim=1), (4, 5)),
        "Flatten_Identity": (lambda: nn.Sequential(nn.Flatten(), nn.Identity()), (3, 2, 4)),
        "BatchNorm1d": (lambda: nn.BatchNorm1d(5), (8, 5)),
        "LayerNorm": (lambda: nn.LayerNorm(5), (4, 5)),
        "Dropout_eval": (lambda: nn.Dropout(0.3), (4, 5)),
    }


def run_layer(make, input_shape, device, train=True, seed=0):
    """Output, input grad and parameter grads (and buffers) of a freshly made layer."""
    ag.manual_seed(seed)
    layer = make().to(device)
    if not train:
        layer.eval()
    for name, p in layer.named_parameters():
        assert_on_device(p, device)
    for b in layer.buffers():
        assert_on_device(b, device)
    rng = np.random.default_rng(seed)
    x = ag.tensor(rng.standard_normal(input_shape).astype(np.float32), requires_grad=True,
                  device=device)
    out = layer(x)
    assert_on_device(out, device)
    w = ag.tensor(np.random.default_rng(seed + 1).standard_normal(out.shape).astype(np.float32),
                  device=device)
    (out * w).sum().backward()
    result = {"out": host(out), "x.grad": host(x.grad)}
    for name, p in layer.named_parameters():
        assert_on_device(p.grad, device)
        result[f"{name}.grad"] = host(p.grad)
    for name, value in layer.state_dict().items():
        result[f"state:{name}"] = host(value)
    return result


def check_layer_against_cpu(name, device, rtol=1e-5, atol=1e-6):
    make, shape = layer_cases()[name]
    for train in (True, False):
        expected = run_layer(make, shape, "cpu", train)
        actual = run_layer(make, shape, device, train)
        assert expected.keys() == actual.keys()
        for key in expected:
            assert_close(actual[key], expected[key], rtol, atol,
                         f"{name} ({'train' if train else 'eval'}) on {device}: {key}")


# ----------------------------------------------------------------------
# training: a few optimizer steps of an MLP give the same parameters
# ----------------------------------------------------------------------
def make_optimizer(name, params):
    optim = ag.optim
    if name == "SGD":
        return optim.SGD(params, lr=0.1)
    if name == "SGD_momentum_nesterov_wd":
        return optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    if name == "SGD_momentum_dampening":
        return optim.SGD(params, lr=0.05, momentum=0.8, dampening=0.1)
    if name == "Adam":
        return optim.Adam(params, lr=1e-2)
    if name == "Adam_wd":
        return optim.Adam(params, lr=1e-2, weight_decay=1e-2)
    if name == "AdamW":
        return optim.AdamW(params, lr=1e-2)
    if name == "RMSprop":
        return optim.RMSprop(params, lr=1e-2)
    if name == "RMSprop_centered_momentum":
        return optim.RMSprop(params, lr=1e-2, momentum=0.9, centered=True, weight_decay=1e-3)
    raise ValueError(name)


OPTIMIZERS = ["SGD", "SGD_momentum_nesterov_wd", "SGD_momentum_dampening", "Adam", "Adam_wd",
              "AdamW", "RMSprop", "RMSprop_centered_momentum"]


def make_mlp(sizes=(20, 32, 16, 5)):
    nn = ag.nn
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def train_mlp(device, optimizer_name, steps=4, batch=16, seed=0):
    """Train a small MLP for ``steps`` steps; returns its final parameters (host arrays)."""
    F = ag.nn.functional
    ag.manual_seed(seed)
    model = make_mlp().to(device)
    opt = make_optimizer(optimizer_name, model.parameters())
    rng = np.random.default_rng(seed)
    x = ag.tensor(rng.standard_normal((batch, 20)).astype(np.float32)).to(device)
    y = ag.tensor(rng.integers(0, 5, size=batch)).to(device)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    for p in model.parameters():
        assert_on_device(p, device)
    for state in opt.state_dict()["state"].values():
        for key, value in state.items():
            if ag.is_tensor(value) and value.ndim > 0:
                assert_on_device(value, device)
    return [host(p) for p in model.parameters()], losses


def check_training_against_cpu(device, optimizer_name, rtol=1e-4, atol=1e-5):
    expected, expected_losses = train_mlp("cpu", optimizer_name)
    actual, losses = train_mlp(device, optimizer_name)
    np.testing.assert_allclose(losses, expected_losses, rtol=rtol, atol=atol)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert_close(a, e, rtol, atol, f"{optimizer_name} on {device}: parameter {i}")


# ----------------------------------------------------------------------
# save / load, DataLoader, mixing errors
# ----------------------------------------------------------------------
def check_save_load(device, tmp_path):
    """ag.save of a device model's state dict writes host arrays; loading restores it."""
    ag.manual_seed(1)
    model = make_mlp().to(device)
    opt = ag.optim.Adam(model.parameters(), lr=1e-2)
    x = ag.randn(4, 20, device=device)
    ag.nn.functional.cross_entropy(model(x), ag.tensor([0, 1, 2, 3], device=device)).backward()
    opt.step()
    path = os.path.join(str(tmp_path), "model.ag")
    ag.save({"model": model.state_dict(), "optim": opt.state_dict()}, path)
    loaded = ag.load(path)
    expected = {k: host(v) for k, v in model.state_dict().items()}
    for target_device in ("cpu", device):
        ag.manual_seed(2)  # a different initialisation, overwritten by the load
        fresh = make_mlp().to(target_device)
        fresh.load_state_dict(loaded["model"])
        for name, value in fresh.state_dict().items():
            assert_on_device(value, target_device)
            np.testing.assert_array_equal(host(value), expected[name])
        fresh_opt = ag.optim.Adam(fresh.parameters(), lr=1e-2)
        fresh_opt.load_state_dict(loaded["optim"])


def check_dataloader(device):
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((10, 3)).astype(np.float32)
    ys = rng.integers(0, 4, size=10)
    dataset = ag.data.TensorDataset(ag.tensor(xs), ag.tensor(ys))
    loader = ag.data.DataLoader(dataset, batch_size=4)
    seen = 0
    for xb, yb in loader:
        xd, yd = xb.to(device), yb.to(device)
        assert_on_device(xd, device)
        assert_on_device(yd, device)
        np.testing.assert_array_equal(host(xd), xs[seen:seen + len(xb)])
        np.testing.assert_array_equal(host(yd), ys[seen:seen + len(yb)])
        seen += len(xb)
    assert seen == 10


def mixing_cases(device):
    """(description, callable) pairs that mix cpu and ``device`` tensors in one operation."""
    F = _Lazy("nn.functional")
    nn = _Lazy("nn")

    def cpu(*shape):
        return ag.ones(*shape)

    def dev(*shape):
        return ag.ones(*shape, device=device)

    return [
        ("add", lambda: cpu(2, 3) + dev(2, 3)),
        ("radd", lambda: dev(2, 3) + cpu(2, 3)),
        ("mul_broadcast", lambda: dev(2, 3) * cpu(3)),
        ("matmul", lambda: cpu(2, 3) @ dev(3, 2)),
        ("where", lambda: ag.where(cpu(2) > 0, dev(2), cpu(2))),
        ("cat", lambda: ag.cat([cpu(2), dev(2)])),
        ("linear", lambda: F.linear(cpu(4, 3), dev(2, 3))),
        ("cross_entropy", lambda: F.cross_entropy(dev(4, 3), ag.tensor([0, 1, 2, 0]))),
        ("module_input", lambda: nn.Linear(3, 2).to(device)(cpu(4, 3))),
        ("inplace_add", lambda: dev(2).add_(cpu(2))),
    ]


# ----------------------------------------------------------------------
# A stand-in for CuPy, to check the cuda backend's Python side without a GPU
# ----------------------------------------------------------------------
# FakeCupy is NumPy plus CuPy's kernel classes.  The kernel classes parse the
# parameter lists the backend declares (ElementwiseKernel / ReductionKernel
# strings, the RawKernel C signatures) and check every call against them --
# number of arguments, array dtypes, scalar types, contiguity, launch shape,
# shared memory -- then run a NumPy model of the kernel.  So the argument
# plumbing of autograd/backend/cuda.py is tested on any machine; the CUDA code
# itself is compiled by nvcc in tests/test_cuda.py and run on a real GPU there.
import re
import types

_C_TYPES = {"float": np.float32, "double": np.float64, "long long": np.int64, "int": np.int32}
_PARAM_TYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64,
                "int32": np.int32, "bool": np.bool_}


class KernelCallError(AssertionError):
    """A kernel was called with arguments that do not match its declaration."""


def _parse_params(params):
    out = []
    for p in params.split(","):
        words = p.split()
        out.append((words[0] == "raw", words[-2], words[-1]))
    return out


class FakeElementwiseKernel:
    def __init__(self, in_params, out_params, operation, name, **kwargs):
        self.ins = _parse_params(in_params)
        self.outs = _parse_params(out_params)
        self.name = name
        self.operation = operation

    def __call__(self, *args):
        n_in = len(self.ins)
        if len(args) not in (n_in, n_in + len(self.outs)):
            raise KernelCallError(f"{self.name}: {len(args)} arguments, expected {n_in} or "
                                  f"{n_in + len(self.outs)}")
        bound = {}
        values = {}
        shapes = []
        for (raw, typ, name), arg in zip(self.ins + self.outs, args):
            if isinstance(arg, np.ndarray):
                if typ == "T":
                    bound.setdefault("T", arg.dtype)
                    if arg.dtype != bound["T"]:
                        raise KernelCallError(f"{self.name}: {name} has dtype {arg.dtype}, T is "
                                              f"{bound['T']}")
                elif arg.dtype != _PARAM_TYPES[typ]:
                    raise KernelCallError(f"{self.name}: {name} must be {typ}, got {arg.dtype}")
                if not raw:
                    shapes.append(arg.shape)
            else:
                want = bound.get("T") if typ == "T" else _PARAM_TYPES[typ]
                if not isinstance(arg, np.generic):
                    raise KernelCallError(f"{self.name}: scalar {name} should be a NumPy scalar "
                                          f"of the kernel's type, got {type(arg).__name__}")
                if want is not None and np.dtype(type(arg)) != np.dtype(want):
                    raise KernelCallError(f"{self.name}: scalar {name} is {type(arg).__name__}, "
                                          f"expected {np.dtype(want)}")
            values[name] = arg
        shape = np.broadcast_shapes(*shapes)
        for raw, typ, name in self.outs:
            if name not in values:
                values[name] = np.empty(shape, bound["T"] if typ == "T" else _PARAM_TYPES[typ])
            elif values[name].shape != shape:
                raise KernelCallError(f"{self.name}: output {name} has shape "
                                      f"{values[name].shape}, expected {shape}")
        values["i"] = np.arange(int(np.prod(shape))).reshape(shape)
        getattr(self, "_" + self.name.replace("ag_", "", 1).split("_c")[0]
                if self.name.startswith("ag_rmsprop") else "_" + self.name[3:])(values)
        results = [values[name] for _, _, name in self.outs]
        return results[0] if len(results) == 1 else tuple(results)

    # NumPy models of the kernels (same arithmetic, in the kernel's dtype)
    @staticmethod
    def _relu_forward(v):
        v["y"][...] = np.where(v["x"] < 0, 0, v["x"])

    @staticmethod
    def _relu_backward(v):
        v["dx"][...] = np.where(v["x"] <= 0, 0, v["g"])

    @staticmethod
    def _bias_relu_forward(v):
        s = v["x"] + v["bias"]
        v["x"][...] = np.where(s < 0, 0, s)

    @staticmethod
    def _sgd_step(v):
        d = v["grad"] + v["weight_decay"] * v["param"] if v["weight_decay"] != 0 else v["grad"]
        v["param"][...] = v["param"] - v["lr"] * d

    @staticmethod
    def _sgd_momentum_step(v):
        d = v["grad"] + v["weight_decay"] * v["param"] if v["weight_decay"] != 0 else v["grad"]
        if v["first_step"]:
            v["buf"][...] = d
        else:
            v["buf"][...] = v["buf"] * v["momentum"] + v["one_minus_dampening"] * d
        d = d + v["momentum"] * v["buf"] if v["nesterov"] else v["buf"]
        v["param"][...] = v["param"] - v["lr"] * d

    @staticmethod
    def _adam_step(v):
        g, p = v["grad"], v["param"].copy()
        if v["weight_decay"] != 0:
            if v["decoupled"]:
                p = p * v["decay_scale"]
            else:
                g = g + v["weight_decay"] * p
        m = v["exp_avg"] * v["beta1"] + v["one_minus_beta1"] * g
        s = v["exp_avg_sq"] * v["beta2"] + v["one_minus_beta2"] * g * g
        v["exp_avg"][...] = m
        v["exp_avg_sq"][...] = s
        v["param"][...] = p - v["step_size"] * m / (np.sqrt(s) / v["bias_correction2_sqrt"]
                                                    + v["eps"])

    def _rmsprop_step(self, v):
        g = v["grad"] + v["weight_decay"] * v["param"] if v["weight_decay"] != 0 else v["grad"]
        sq = v["square_avg"] * v["alpha"] + v["one_minus_alpha"] * g * g
        v["square_avg"][...] = sq
        if "grad_avg" in v:
            ga = v["grad_avg"] * v["alpha"] + v["one_minus_alpha"] * g
            v["grad_avg"][...] = ga
            avg = np.sqrt(sq - ga * ga) + v["eps"]
        else:
            avg = np.sqrt(sq) + v["eps"]
        if "momentum_buffer" in v:
            b = v["momentum_buffer"] * v["momentum"] + g / avg
            v["momentum_buffer"][...] = b
            v["param"][...] = v["param"] - v["lr"] * b
        else:
            v["param"][...] = v["param"] - v["lr"] * g / avg


class FakeReductionKernel:
    def __init__(self, in_params, out_params, map_expr, reduce_expr, post_map_expr, identity,
                 name, reduce_type=None, **kwargs):
        self.ins = _parse_params(in_params)
        self.name = name

    def __call__(self, *args):
        if len(args) != len(self.ins):
            raise KernelCallError(f"{self.name}: {len(args)} arguments, expected {len(self.ins)}")
        bound = {}
        for (raw, typ, name), arg in zip(self.ins, args):
            dtype = arg.dtype if isinstance(arg, np.ndarray) else np.dtype(type(arg))
            if not isinstance(arg, (np.ndarray, np.generic)):
                raise KernelCallError(f"{self.name}: {name} should be an array or NumPy scalar")
            want = bound.setdefault("T", dtype) if typ == "T" else _PARAM_TYPES[typ]
            if dtype != want:
                raise KernelCallError(f"{self.name}: {name} must be {np.dtype(want)}, got {dtype}")
        if self.name == "ag_check_and_count_targets":
            t, c, ignore = args
            bad = (t != ignore) & ((t < 0) | (t >= c))
            return np.asarray(int(bad.sum()) * (1 << 40) + int(((t != ignore) & ~bad).sum()))
        if self.name == "ag_sum_divide":
            x, divisor = args
            return np.asarray(x.sum(dtype=x.dtype) / divisor, dtype=x.dtype)
        raise KernelCallError(f"no model of {self.name}")


class FakeRawKernel:
    def __init__(self, name, params):
        self.name = name
        self.params = params          # [(numpy dtype, is_pointer, name)]

    def __call__(self, grid, block, args, shared_mem=0):
        if len(args) != len(self.params):
            raise KernelCallError(f"{self.name}: {len(args)} arguments, expected "
                                  f"{len(self.params)}")
        values = {}
        for (dtype, pointer, name), arg in zip(self.params, args):
            if pointer:
                if not isinstance(arg, np.ndarray) or arg.dtype != dtype:
                    raise KernelCallError(f"{self.name}: {name} must be a {np.dtype(dtype)} "
                                          f"array, got {getattr(arg, 'dtype', type(arg))}")
                if not arg.flags.c_contiguous:
                    raise KernelCallError(f"{self.name}: {name} is not C-contiguous")
            elif not isinstance(arg, np.generic) or np.dtype(type(arg)) != dtype:
                raise KernelCallError(f"{self.name}: {name} must be a {np.dtype(dtype)} scalar, "
                                      f"got {type(arg).__name__}")
            values[name] = arg
        threads = block[0]
        if threads % 32 or not 32 <= threads <= 1024:
            raise KernelCallError(f"{self.name}: block of {threads} threads")
        if shared_mem + 32 * 8 > 48 * 1024:
            raise KernelCallError(f"{self.name}: {shared_mem} bytes of shared memory")
        cols = int(values["cols"])
        rows_arg = next(a for (_, p, _), a in zip(self.params, args) if p)
        if grid[0] * cols != rows_arg.size:
            raise KernelCallError(f"{self.name}: grid of {grid[0]} rows for {rows_arg.size} "
                                  f"elements of {cols} columns")
        if values.get("cache_row") and shared_mem == 0:
            raise KernelCallError(f"{self.name}: row cache requested without shared memory")
        getattr(self, "_" + self.name[3:-4])(values, grid[0], cols)

    @staticmethod
    def _softmax_forward(v, rows, cols):
        x = v["x"].reshape(rows, cols)
        m = x.max(axis=1, keepdims=True)
        if v["log_output"]:
            y = (x - m) - np.log(np.exp(x - m).sum(axis=1, keepdims=True))
        else:
            e = np.exp(x - m)
            y = e / e.sum(axis=1, keepdims=True)
        v["y"].reshape(rows, cols)[...] = y

    @staticmethod
    def _softmax_backward(v, rows, cols):
        g, y = v["g"].reshape(rows, cols), v["y"].reshape(rows, cols)
        if v["log_output"]:
            dx = g - np.exp(y) * g.sum(axis=1, keepdims=True)
        else:
            dx = y * (g - (g * y).sum(axis=1, keepdims=True))
        v["dx"].reshape(rows, cols)[...] = dx

    @staticmethod
    def _cross_entropy_forward(v, rows, cols):
        x = v["x"].reshape(rows, cols)
        t = v["target"]
        m = x.max(axis=1)
        lse = m + np.log(np.exp(x - m[:, None]).sum(axis=1))
        v["lse_out"][...] = lse
        ignored = t == v["ignore_index"]
        picked = x[np.arange(rows), np.where(ignored, 0, t)]
        loss = lse - picked
        ls = v["label_smoothing"]
        if ls > 0:
            loss = (1 - ls) * loss + ls * (lse - x.sum(axis=1) / x.dtype.type(cols))
        v["loss"][...] = np.where(ignored, 0, loss)


def _fake_cross_entropy_backward(v, rows, cols):
    x = v["x"].reshape(rows, cols)
    t = v["target"]
    scale = v["grad"][np.arange(rows)] if v["grad_per_row"] else np.full(rows, v["grad"][0])
    if v["divide"]:
        scale = scale / v["count"].reshape(-1)[0]
    e = np.exp(x - v["lse"][:, None])
    e[np.arange(rows), np.where(t == v["ignore_index"], 0, t)] -= v["one_minus_ls"]
    e = e - v["ls_over_c"]
    v["dx"].reshape(rows, cols)[...] = np.where((t == v["ignore_index"])[:, None], 0,
                                                scale[:, None] * e)


FakeRawKernel._cross_entropy_backward = staticmethod(_fake_cross_entropy_backward)


class FakeRawModule:
    _SIGNATURE = re.compile(r'extern "C" __global__ void (\w+)\(([^)]*)\)', re.S)

    def __init__(self, code, **kwargs):
        self.kernels = {}
        for name, params in self._SIGNATURE.findall(code):
            parsed = []
            for p in params.split(","):
                p = " ".join(p.replace("__restrict__", "").replace("const", "").split())
                pointer = "*" in p
                ctype, pname = p.replace("*", " ").rsplit(None, 1)
                parsed.append((_C_TYPES[ctype.strip()], pointer, pname))
            self.kernels[name] = parsed

    def get_function(self, name):
        if name not in self.kernels:
            raise KernelCallError(f"no kernel {name} in the module")
        return FakeRawKernel(name, self.kernels[name])


def _fake_gemm(transa, transb, a, b, out=None, alpha=1.0, beta=0.0):
    if a.dtype != b.dtype or a.ndim != 2 or b.ndim != 2:
        raise KernelCallError("cublas.gemm: 2-D operands of one dtype expected")
    if transa not in ("N", "T") or transb not in ("N", "T"):
        raise KernelCallError(f"cublas.gemm: trans flags {transa!r}, {transb!r}")
    if not isinstance(alpha, float) or not isinstance(beta, float):
        raise KernelCallError("cublas.gemm: alpha and beta should be floats")
    op_a = a.T if transa == "T" else a
    op_b = b.T if transb == "T" else b
    result = (alpha * (op_a @ op_b)).astype(a.dtype)
    if out is None:
        return result
    if out.dtype != a.dtype or out.shape != result.shape:
        raise KernelCallError("cublas.gemm: out does not match")
    out[...] = result + beta * out if beta != 0.0 else result
    return out


class FakeCupy(types.ModuleType):
    """NumPy dressed as CuPy: ``cupy.*`` array functions plus the kernel classes above."""

    def __init__(self):
        super().__init__("fake_cupy")
        self.ndarray = np.ndarray
        self.ElementwiseKernel = FakeElementwiseKernel
        self.ReductionKernel = FakeReductionKernel
        self.RawModule = FakeRawModule
        self.cublas = types.SimpleNamespace(gemm=_fake_gemm)
        self.__version__ = "0.0-fake"
        self.cuda = types.SimpleNamespace(
            runtime=types.SimpleNamespace(getDeviceCount=lambda: 1,
                                          getDeviceProperties=lambda i: {"name": b"FakeCupy"}),
            Device=lambda *a: types.SimpleNamespace(synchronize=lambda: None, id=0))

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def asnumpy(array):
        return np.array(array, copy=True)

    @staticmethod
    def count_nonzero(array):
        return np.asarray(np.count_nonzero(array))   # CuPy gives a 0-d array


def make_fake_cuda_backend(name="fakecuda"):
    """The cuda backend's Python code over :class:`FakeCupy`, as device ``name``."""
    from autograd.backend.cuda import CUDABackend

    class FakeCUDABackend(CUDABackend):
        pass

    FakeCUDABackend.name = name
    return FakeCUDABackend(cupy_module=FakeCupy())


def register_fake_cuda(name="fakecuda"):
    register_backend(name, lambda: make_fake_cuda_backend(name))
    return name
