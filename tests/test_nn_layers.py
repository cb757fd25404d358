"""Every layer and loss: forward and gradients against PyTorch, gradcheck in float64, errors."""

import numpy as np
import pytest

import autograd as ag
from autograd import nn
import autograd.nn.functional as F


def _copy_params_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _randn(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


# (name, builder(m) for m in (nn, torch.nn), input shape)
LAYERS = [
    ("linear", lambda m: m.Linear(5, 3), (4, 5)),
    ("linear_nobias", lambda m: m.Linear(5, 3, bias=False), (4, 5)),
    ("linear_3d_input", lambda m: m.Linear(5, 3), (2, 4, 5)),
    ("linear_1d_input", lambda m: m.Linear(5, 3), (5,)),
    ("relu", lambda m: m.ReLU(), (4, 6)),
    ("leaky_relu", lambda m: m.LeakyReLU(0.2), (4, 6)),
    ("leaky_relu_default", lambda m: m.LeakyReLU(), (4, 6)),
    ("gelu", lambda m: m.GELU(), (4, 6)),
    ("gelu_tanh", lambda m: m.GELU(approximate="tanh"), (4, 6)),
    ("sigmoid", lambda m: m.Sigmoid(), (4, 6)),
    ("tanh", lambda m: m.Tanh(), (4, 6)),
    ("softmax", lambda m: m.Softmax(dim=1), (4, 6)),
    ("softmax_dim0", lambda m: m.Softmax(dim=0), (4, 6)),
    ("log_softmax", lambda m: m.LogSoftmax(dim=-1), (3, 4, 6)),
    ("flatten", lambda m: m.Flatten(), (2, 3, 4)),
    ("flatten_range", lambda m: m.Flatten(0, 1), (2, 3, 4)),
    ("identity", lambda m: m.Identity(), (3, 3)),
    ("batchnorm_2d", lambda m: m.BatchNorm1d(6), (8, 6)),
    ("batchnorm_3d", lambda m: m.BatchNorm1d(3), (4, 3, 5)),
    ("batchnorm_no_affine", lambda m: m.BatchNorm1d(6, affine=False), (8, 6)),
    ("batchnorm_no_running", lambda m: m.BatchNorm1d(6, track_running_stats=False), (8, 6)),
    ("layernorm", lambda m: m.LayerNorm(6), (4, 6)),
    ("layernorm_2d_shape", lambda m: m.LayerNorm((3, 6), eps=1e-3), (2, 3, 6)),
    ("layernorm_no_affine", lambda m: m.LayerNorm(6, elementwise_affine=False), (4, 6)),
    ("mlp", lambda m: m.Sequential(m.Linear(6, 8), m.ReLU(), m.Linear(8, 8), m.Tanh(), m.Linear(8, 3)), (5, 6)),
]


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name,build,shape", LAYERS, ids=[row[0] for row in LAYERS])
def test_layer_matches_torch(torch, rng, name, build, shape, train):
    theirs = build(torch.nn)
    ours = build(nn)
    if list(theirs.state_dict()):
        # Give affine parameters non-trivial values so that they are really tested.
        with torch.no_grad():
            for p in theirs.parameters():
                p.copy_(torch.tensor(_randn(rng, tuple(p.shape))))
        _copy_params_from_torch(ours, theirs)
    ours.train(train)
    theirs.train(train)
    x = _randn(rng, shape)
    tx = torch.tensor(x, requires_grad=True)
    ax = ag.tensor(x, requires_grad=True)
    ty = theirs(tx)
    ay = ours(ax)
    assert tuple(ay.shape) == tuple(ty.shape)
    np.testing.assert_allclose(ay.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    upstream = _randn(rng, tuple(ty.shape))
    ty.backward(torch.tensor(upstream))
    ay.backward(ag.tensor(upstream))
    np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    for (pname, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=pname)
    for (bname, b), (_, tb) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(b.numpy(), tb.numpy(), rtol=1e-5, atol=1e-6, err_msg=bname)


@pytest.mark.parametrize("name,build,shape", LAYERS, ids=[row[0] for row in LAYERS])
def test_layer_gradcheck_float64(rng, name, build, shape):
    layer = build(nn).double()
    for p in layer.parameters():
        p.detach()._data[...] = rng.standard_normal(p.shape)
    x = ag.tensor(rng.standard_normal(shape), requires_grad=True)
    params = [p for p in layer.parameters()]
    if name.startswith("batchnorm"):
        # Training-mode batch norm updates running stats on every call; check the function itself.
        layer.track_running_stats = False
        layer.running_mean = None
        layer.running_var = None
    assert ag.gradcheck(lambda inp, *ps: layer(inp), [x] + params, eps=1e-6, atol=1e-5, rtol=1e-3)


# ----------------------------------------------------------------------
# BatchNorm running statistics and Dropout
# ----------------------------------------------------------------------
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("shape", [(8, 4), (5, 4, 3)])
def test_batchnorm_running_stats_match_torch(torch, rng, momentum, shape):
    ours, theirs = nn.BatchNorm1d(4, momentum=momentum), torch.nn.BatchNorm1d(4, momentum=momentum)
    for _ in range(3):
        x = _randn(rng, shape) * 3 + 1
        ours(ag.tensor(x))
        theirs(torch.tensor(x))
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    assert int(ours.num_batches_tracked.item()) == 3
    ours.eval(), theirs.eval()
    x = _randn(rng, shape)
    np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_batchnorm_input_checks():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        bn(ag.ones(3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(ag.ones(1, 3))
    bn.eval()
    assert bn(ag.ones(1, 3)).shape == (1, 3)


def test_dropout_scaling_eval_and_seed():
    x = ag.ones(20000)
    drop = nn.Dropout(0.25)
    ag.manual_seed(0)
    y = drop(x).numpy()
    assert set(np.unique(y).tolist()) <= {0.0, np.float32(1 / 0.75)}
    assert (y == 0).mean() == pytest.approx(0.25, abs=0.015)
    assert y.mean() == pytest.approx(1.0, abs=0.03)
    ag.manual_seed(0)
    np.testing.assert_array_equal(drop(x).numpy(), y)
    assert drop.eval()(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert np.all(F.dropout(x, 1.0).numpy() == 0.0)
    assert F.dropout(x, 0.0) is x


def test_dropout_gradient_is_the_mask():
    x = ag.ones(1000, requires_grad=True)
    y = F.dropout(x, p=0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(ag.ones(2), p)


# ----------------------------------------------------------------------
# losses
# ----------------------------------------------------------------------
LOSS_CASES = [
    # (name, functional name, input shape, make target(rng, shape) -> array, kwargs)
    ("ce_mean", "cross_entropy", (6, 5), "class", {}),
    ("ce_sum", "cross_entropy", (6, 5), "class", dict(reduction="sum")),
    ("ce_none", "cross_entropy", (6, 5), "class", dict(reduction="none")),
    ("ce_ignore", "cross_entropy", (6, 5), "class_ignore", dict(ignore_index=2)),
    ("ce_ignore_default", "cross_entropy", (6, 5), "class_ignore_default", {}),
    ("ce_smooth", "cross_entropy", (6, 5), "class", dict(label_smoothing=0.1)),
    ("ce_smooth_ignore_none", "cross_entropy", (6, 5), "class_ignore", dict(label_smoothing=0.2, ignore_index=2,
                                                                              reduction="none")),
    ("ce_1d", "cross_entropy", (5,), "class", {}),
    ("ce_1d_none", "cross_entropy", (5,), "class", dict(reduction="none")),
    ("ce_spatial", "cross_entropy", (3, 4, 2, 2), "class", {}),
    ("ce_spatial_none", "cross_entropy", (3, 4, 5), "class", dict(reduction="none")),
    ("ce_weight", "cross_entropy", (6, 5), "class", dict(weight="w")),
    ("ce_weight_smooth_ignore", "cross_entropy", (6, 5), "class_ignore", dict(weight="w", label_smoothing=0.3,
                                                                               ignore_index=2)),
    ("ce_weight_smooth_sum", "cross_entropy", (6, 5), "class", dict(weight="w", label_smoothing=0.3,
                                                                     reduction="sum")),
    ("ce_prob", "cross_entropy", (6, 5), "prob", {}),
    ("ce_prob_smooth_weight", "cross_entropy", (6, 5), "prob", dict(label_smoothing=0.1, weight="w")),
    ("ce_prob_none", "cross_entropy", (6, 5), "prob", dict(reduction="none")),
    ("ce_prob_spatial", "cross_entropy", (2, 3, 4), "prob", dict(label_smoothing=0.05)),
    ("ce_prob_1d", "cross_entropy", (5,), "prob", dict(reduction="sum")),
    ("nll_mean", "nll_loss", (6, 5), "class", {}),
    ("nll_weight_ignore", "nll_loss", (6, 5), "class_ignore", dict(weight="w", ignore_index=2)),
    ("nll_none", "nll_loss", (6, 5), "class", dict(reduction="none")),
    ("nll_sum_spatial", "nll_loss", (2, 5, 3), "class", dict(reduction="sum")),
    ("mse", "mse_loss", (4, 3), "float", {}),
    ("mse_sum", "mse_loss", (4, 3), "float", dict(reduction="sum")),
    ("mse_none", "mse_loss", (4, 3), "float", dict(reduction="none")),
    ("l1", "l1_loss", (4, 3), "float", {}),
    ("l1_none", "l1_loss", (4, 3), "float", dict(reduction="none")),
    ("mse_weight", "mse_loss", (4, 3), "float", dict(weight="bw")),
    ("l1_weight_sum", "l1_loss", (4, 3), "float", dict(weight="bw", reduction="sum")),
    ("bce_logits", "binary_cross_entropy_with_logits", (4, 3), "binary", {}),
    ("bce_logits_sum", "binary_cross_entropy_with_logits", (4, 3), "binary", dict(reduction="sum")),
    ("bce_logits_pos_weight", "binary_cross_entropy_with_logits", (4, 3), "binary", dict(pos_weight="pw")),
    ("bce_logits_weight_none", "binary_cross_entropy_with_logits", (4, 3), "binary", dict(weight="bw",
                                                                                          reduction="none")),
    ("bce_logits_soft_targets", "binary_cross_entropy_with_logits", (4, 3), "prob", dict(pos_weight="pw")),
]


def _make_target(rng, kind, shape):
    if kind.startswith("class"):
        c = shape[1] if len(shape) > 1 else shape[0]
        tshape = (shape[0],) + tuple(shape[2:]) if len(shape) > 1 else ()
        t = rng.integers(0, c, size=tshape).astype(np.int64)
        if kind == "class_ignore":
            t.reshape(-1)[:2] = 2
        if kind == "class_ignore_default":
            t.reshape(-1)[1] = -100
        return t
    if kind == "prob":
        p = rng.random(shape).astype(np.float32)
        return p / p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)
    if kind == "binary":
        return (rng.random(shape) > 0.5).astype(np.float32)
    return _randn(rng, shape)


def _loss_kwargs(rng, kwargs, shape, lib):
    out = {}
    c = shape[1] if len(shape) > 1 else shape[0]
    for k, v in kwargs.items():
        if v == "w":
            v = lib(rng.random(c).astype(np.float32) + 0.5)
        elif v == "pw":
            v = lib(rng.random(shape[-1]).astype(np.float32) + 0.5)
        elif v == "bw":
            v = lib(rng.random(shape).astype(np.float32))
        out[k] = v
    return out


@pytest.mark.parametrize("name,fn,shape,tkind,kwargs", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss_matches_torch(torch, name, fn, shape, tkind, kwargs):
    x = _randn(np.random.default_rng(1), shape) * 2
    target = _make_target(np.random.default_rng(2), tkind, shape)
    ours_kw = _loss_kwargs(np.random.default_rng(3), kwargs, shape, ag.tensor)
    theirs_kw = _loss_kwargs(np.random.default_rng(3), kwargs, shape, torch.tensor)
    tx = torch.tensor(x, requires_grad=True)
    ax = ag.tensor(x, requires_grad=True)
    tl = getattr(torch.nn.functional, fn)(tx, torch.tensor(target), **theirs_kw)
    al = getattr(F, fn)(ax, ag.tensor(target), **ours_kw)
    assert tuple(al.shape) == tuple(tl.shape)
    assert al.dtype == np.float32
    np.testing.assert_allclose(al.detach().numpy(), tl.detach().numpy(), rtol=1e-5, atol=1e-6)
    upstream = np.random.default_rng(4).standard_normal(tuple(tl.shape)).astype(np.float32)
    tl.backward(torch.tensor(upstream))
    al.backward(ag.tensor(upstream))
    np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name,fn,shape,tkind,kwargs", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss_gradcheck_float64(name, fn, shape, tkind, kwargs):
    rng = np.random.default_rng(5)
    x = ag.tensor(rng.standard_normal(shape), requires_grad=True)
    target = _make_target(rng, tkind, shape)
    if target.dtype == np.float32:
        target = target.astype(np.float64)
    kw = {k: (v.double() if isinstance(v, ag.Tensor) else v)
          for k, v in _loss_kwargs(rng, kwargs, shape, ag.tensor).items()}
    t = ag.tensor(target)
    assert ag.gradcheck(lambda inp: getattr(F, fn)(inp, t, **kw), [x], eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("kwargs", [{}, dict(label_smoothing=0.2), dict(reduction="sum", ignore_index=1),
                                    dict(reduction="none")])
def test_cross_entropy_double_backward(kwargs):
    rng = np.random.default_rng(6)
    x = ag.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    t = ag.tensor(np.array([0, 1, 2, 1]))
    assert ag.gradgradcheck(lambda inp: F.cross_entropy(inp, t, **kwargs), [x], eps=1e-6, atol=1e-5, rtol=1e-3)


def test_cross_entropy_hessian_vector_product_matches_torch(torch):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 4))
    v = rng.standard_normal((5, 4))
    t = np.array([0, 3, 1, 1, 2])
    ax = ag.tensor(x, requires_grad=True)
    (g,) = ag.grad(F.cross_entropy(ax, ag.tensor(t), label_smoothing=0.1), [ax], create_graph=True)
    (hv,) = ag.grad((g * ag.tensor(v)).sum(), [ax])
    tx = torch.tensor(x, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.nn.functional.cross_entropy(tx, torch.tensor(t), label_smoothing=0.1), [tx],
                                create_graph=True)
    (thv,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), [tx])
    np.testing.assert_allclose(hv.numpy(), thv.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore:size_average and reduce args")
def test_loss_modules_match_functional(torch):
    rng = np.random.default_rng(8)
    x = _randn(rng, (6, 4))
    t = rng.integers(0, 4, size=6)
    y = _randn(rng, (6, 4))
    b = (rng.random((6, 4)) > 0.5).astype(np.float32)
    pairs = [
        (nn.CrossEntropyLoss(label_smoothing=0.1), torch.nn.CrossEntropyLoss(label_smoothing=0.1), t),
        (nn.CrossEntropyLoss(reduction="sum", ignore_index=0), torch.nn.CrossEntropyLoss(reduction="sum", ignore_index=0), t),
        (nn.NLLLoss(), torch.nn.NLLLoss(), t),
        (nn.MSELoss(), torch.nn.MSELoss(), y),
        (nn.L1Loss(reduction="sum"), torch.nn.L1Loss(reduction="sum"), y),
        (nn.L1Loss(None, False), torch.nn.L1Loss(None, False), y),
        (nn.CrossEntropyLoss(None, None, 2), torch.nn.CrossEntropyLoss(None, None, 2), t),
        (nn.BCEWithLogitsLoss(pos_weight=ag.tensor(np.full(4, 2.0, np.float32))),
         torch.nn.BCEWithLogitsLoss(pos_weight=torch.full((4,), 2.0)), b),
    ]
    for ours, theirs, target in pairs:
        expected = theirs(torch.tensor(x), torch.tensor(target)).numpy()
        got = ours(ag.tensor(x), ag.tensor(target)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, err_msg=repr(ours))


def test_bce_with_logits_is_stable_for_huge_logits():
    x = ag.tensor([1e4, -1e4, 0.0], requires_grad=True)
    y = ag.tensor([0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [1e4, 1e4, np.log(2.0)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -1.0, -0.5])


def test_cross_entropy_extreme_logits_are_finite():
    x = ag.tensor([[1e4, -1e4, 0.0], [5.0, 5.0, 5.0]], requires_grad=True)
    loss = F.cross_entropy(x, ag.tensor([1, 0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad.numpy()))
    assert loss.item() == pytest.approx((2e4 + np.log(3.0)) / 2, rel=1e-6)


# ----------------------------------------------------------------------
# loss errors
# ----------------------------------------------------------------------
@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_class_index_errors(fn):
    x = ag.randn(3, 4)
    with pytest.raises(IndexError, match="out of bounds"):
        fn(x, ag.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="out of bounds"):
        fn(x, ag.tensor([0, -1, 1]))
    with pytest.raises(TypeError, match="int64"):
        fn(x, ag.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="batch_size"):
        fn(x, ag.tensor([0, 1]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        fn(x, ag.tensor([0, 1, 2]), reduction="avg")
    assert fn(x, ag.tensor([0, -100, 1])).shape == ()      # ignore_index is not out of range


def test_other_loss_errors():
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(ag.ones(3), ag.ones(2))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(ag.ones(2, 3), ag.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(TypeError, match="Tensor"):
        F.mse_loss([1.0, 2.0], ag.ones(2))
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(ag.ones(3, 1), ag.ones(3))


def test_cross_entropy_all_ignored_gives_nan_like_torch(torch):
    x = np.zeros((2, 3), np.float32)
    t = np.array([-100, -100])
    expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t)).item()
    got = F.cross_entropy(ag.tensor(x), ag.tensor(t)).item()
    assert np.isnan(expected) and np.isnan(got)


# ----------------------------------------------------------------------
# the fused Linear + ReLU inside Sequential
# ----------------------------------------------------------------------
def _mlp_pair():
    ag.manual_seed(11)
    fused = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    return fused


def test_sequential_fuses_linear_relu_with_identical_results(rng):
    model = _mlp_pair()
    x_np = rng.standard_normal((7, 5)).astype(np.float32)
    x = ag.tensor(x_np, requires_grad=True)
    out = model(x)
    assert type(out.grad_fn.next_functions[0][0]).__name__ == "LinearReLU"
    out.sum().backward()
    fused_grads = [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]
    model.zero_grad()
    x2 = ag.tensor(x_np, requires_grad=True)
    h = F.relu(model[0](x2))
    h = F.relu(model[2](h))
    ref = model[4](h)
    ref.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    ref_grads = [p.grad.numpy() for p in model.parameters()] + [x2.grad.numpy()]
    for a, b in zip(fused_grads, ref_grads):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    with ag.no_grad():
        plain = model(ag.tensor(x_np))
    assert plain.grad_fn is None
    np.testing.assert_array_equal(plain.numpy(), ref.detach().numpy())


def test_fused_linear_relu_gradcheck_and_double_backward(rng):
    model = _mlp_pair().double()
    x = ag.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    params = list(model.parameters())
    assert ag.gradcheck(lambda inp, *ps: model(inp), [x] + params)
    assert ag.gradgradcheck(lambda inp, *ps: model(inp), [x] + params)


def test_fusion_skipped_with_hooks_or_batched_input():
    model = _mlp_pair()
    calls = []
    model[1].register_forward_hook(lambda m, a, o: calls.append(1))
    model(ag.randn(3, 5))
    assert calls == [1]                       # the hooked ReLU really ran
    out = model(ag.randn(2, 3, 5))            # 3-D input goes through the plain layers
    assert out.shape == (2, 3, 2)


def test_softmax_implicit_dim_warns_and_picks_torch_dim(torch):
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        ours = nn.Softmax()(ag.tensor(x))
    with pytest.warns(UserWarning):
        theirs = torch.nn.Softmax()(torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_on_probabilities_matches_torch(torch, reduction):
    rng = np.random.default_rng(9)
    p = (rng.random((4, 3)) * 0.98 + 0.01).astype(np.float32)
    y = rng.random((4, 3)).astype(np.float32)
    w = rng.random((4, 3)).astype(np.float32)
    tp = torch.tensor(p, requires_grad=True)
    ap = ag.tensor(p, requires_grad=True)
    tl = torch.nn.functional.binary_cross_entropy(tp, torch.tensor(y), torch.tensor(w), reduction=reduction)
    al = F.binary_cross_entropy(ap, ag.tensor(y), ag.tensor(w), reduction=reduction)
    np.testing.assert_allclose(al.detach().numpy(), tl.detach().numpy(), rtol=1e-5)
    tl.sum().backward()
    al.sum().backward()
    np.testing.assert_allclose(ap.grad.numpy(), tp.grad.numpy(), rtol=1e-4)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(ag.tensor([1.5]), ag.tensor([1.0]))


@pytest.mark.parametrize("fn,kwargs", [(F.nll_loss, {}), (F.cross_entropy, dict(weight=np.ones(3, np.float32)))])
def test_all_ignored_mean_is_nan_with_zero_gradient_like_torch(torch, fn, kwargs):
    t = np.array([-100, -100])
    tx = torch.zeros(2, 3, requires_grad=True)
    tkw = {k: torch.tensor(v) for k, v in kwargs.items()}
    tl = getattr(torch.nn.functional, fn.__name__)(tx, torch.tensor(t), **tkw)
    tl.backward()
    ax = ag.zeros(2, 3, requires_grad=True)
    akw = {k: ag.tensor(v) for k, v in kwargs.items()}
    al = fn(ax, ag.tensor(t), **akw)
    al.backward()
    assert np.isnan(tl.item()) and np.isnan(al.item())
    np.testing.assert_array_equal(np.abs(ax.grad.numpy()), np.abs(tx.grad.numpy()))


@pytest.mark.parametrize("name,fn", [
    ("layer_norm", lambda x: F.layer_norm(x, (4,), weight=ag.tensor(np.linspace(0.5, 2, 4)), eps=1e-3)),
    ("batch_norm_train", lambda x: F.batch_norm(x, None, None, training=True, eps=1e-3)),
    ("bce_with_logits", lambda x: F.binary_cross_entropy_with_logits(
        x, ag.tensor(np.tile([0.0, 1.0, 0.3, 1.0], (3, 1))), pos_weight=ag.tensor(np.full(4, 1.5)))),
    ("nll_weighted", lambda x: F.nll_loss(x, ag.tensor([0, 3, 1]), weight=ag.tensor(np.arange(1.0, 5.0)))),
    ("ce_weighted_smooth", lambda x: F.cross_entropy(x, ag.tensor([0, 3, 1]), weight=ag.tensor(np.arange(1.0, 5.0)),
                                                     label_smoothing=0.1)),
    ("ce_prob", lambda x: F.cross_entropy(x, ag.tensor(np.full((3, 4), 0.25)))),
    ("mse", lambda x: F.mse_loss(x, ag.zeros(3, 4, dtype=ag.float64))),
])
def test_second_derivatives(name, fn):
    x = ag.tensor(np.random.default_rng(10).standard_normal((3, 4)), requires_grad=True)
    assert ag.gradgradcheck(fn, [x], eps=1e-6, atol=1e-5, rtol=1e-3)
