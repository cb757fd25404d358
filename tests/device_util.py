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
    if spec.kind == "mask":
        return rng.random(spec.shape) > 0.5
    raise ValueError(spec.kind)


def _x(*shape, kind="normal"):
    return Input(tuple(shape), kind)


def _idx(n, *shape):
    return Input(tuple(shape), f"index:{n}", grad=False)


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
        OpCase("F.nll_loss", lambda x, t: F.nll_loss(F.log_softmax(x, dim=1), t),
               [_x(6, 5), _idx(5, 6)]),
        OpCase("F.mse_loss", lambda a, b: F.mse_loss(a, b), [_x(4, 3), _x(4, 3)]),
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
