"""Optimizers: hand-computed steps, PyTorch side by side, groups, state dicts, errors."""

import math

import numpy as np
import pytest

import autograd as ag
from autograd import nn, optim


def _param(array):
    return nn.Parameter(ag.tensor(np.array(array)))


def _set_grad(p, array):
    p.grad = ag.tensor(np.asarray(array, dtype=p.dtype))


# ----------------------------------------------------------------------
# hand-computed updates
# ----------------------------------------------------------------------
def test_sgd_plain_step_by_hand():
    p = _param([1.0, -2.0])
    opt = optim.SGD([p], lr=0.1)
    _set_grad(p, [0.5, 1.0])
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.95, -2.1])


def test_sgd_momentum_weight_decay_dampening_by_hand():
    p = _param([1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1)
    _set_grad(p, [2.0])
    opt.step()
    # d = 2 + 0.1 * 1 = 2.1; first step: buf = d; p = 1 - 0.1 * 2.1
    p1 = 1.0 - 0.21
    assert p.detach().numpy()[0] == pytest.approx(p1)
    _set_grad(p, [1.0])
    opt.step()
    d = 1.0 + 0.1 * p1
    buf = 0.9 * 2.1 + 0.5 * d
    assert p.detach().numpy()[0] == pytest.approx(p1 - 0.1 * buf)
    assert opt.state[p]["momentum_buffer"].numpy()[0] == pytest.approx(buf)


def test_sgd_nesterov_by_hand():
    p = _param([0.0])
    opt = optim.SGD([p], lr=1.0, momentum=0.5, nesterov=True)
    _set_grad(p, [1.0])
    opt.step()            # buf = 1, step = g + 0.5 * buf = 1.5
    assert p.detach().numpy()[0] == pytest.approx(-1.5)
    _set_grad(p, [1.0])
    opt.step()            # buf = 0.5 + 1 = 1.5, step = 1 + 0.75
    assert p.detach().numpy()[0] == pytest.approx(-3.25)


def _adam_reference(p, grads, lr, b1, b2, eps, wd=0.0, decoupled=False, amsgrad=False):
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    vmax = np.zeros_like(p)
    p = p.copy()
    for t, g in enumerate(grads, 1):
        if wd:
            if decoupled:
                p = p * (1 - lr * wd)
            else:
                g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        denom = np.sqrt(vmax if amsgrad else v) / math.sqrt(1 - b2 ** t) + eps
        p = p - lr / (1 - b1 ** t) * m / denom
    return p, m, v


@pytest.mark.parametrize("cls,kwargs,decoupled", [
    (optim.Adam, dict(lr=0.01), False),
    (optim.Adam, dict(lr=0.01, betas=(0.8, 0.9), eps=1e-4, weight_decay=0.1), False),
    (optim.Adam, dict(lr=0.01, amsgrad=True), False),
    (optim.AdamW, dict(lr=0.01), True),
    (optim.AdamW, dict(lr=0.01, weight_decay=0.5, amsgrad=True), True),
])
def test_adam_family_by_hand(rng, cls, kwargs, decoupled):
    start = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(4)]
    p = _param(start)
    opt = cls([p], **kwargs)
    for g in grads:
        _set_grad(p, g)
        opt.step()
    b1, b2 = kwargs.get("betas", (0.9, 0.999))
    wd = kwargs.get("weight_decay", 1e-2 if cls is optim.AdamW else 0.0)
    ref_p, ref_m, ref_v = _adam_reference(start, grads, kwargs["lr"], b1, b2, kwargs.get("eps", 1e-8), wd,
                                          decoupled, kwargs.get("amsgrad", False))
    np.testing.assert_allclose(p.detach().numpy(), ref_p, rtol=1e-12, atol=1e-12)
    state = opt.state[p]
    np.testing.assert_allclose(state["exp_avg"].numpy(), ref_m, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(state["exp_avg_sq"].numpy(), ref_v, rtol=1e-12, atol=1e-14)
    assert state["step"].dtype == np.float32 and float(state["step"].item()) == 4.0
    assert state["step"].device == "cpu"


def test_adam_first_step_is_lr_times_sign():
    p = _param([1.0, 1.0, 1.0])
    opt = optim.Adam([p], lr=0.1)
    _set_grad(p, [3.0, -0.5, 1e-3])
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 1.1, 0.9], rtol=1e-4)


def test_rmsprop_by_hand_centered_momentum(rng):
    start = rng.standard_normal(4)
    grads = [rng.standard_normal(4) for _ in range(3)]
    p = _param(start)
    lr, alpha, eps, wd, mom = 0.01, 0.9, 1e-6, 0.1, 0.5
    opt = optim.RMSprop([p], lr=lr, alpha=alpha, eps=eps, weight_decay=wd, momentum=mom, centered=True)
    ref = start.copy()
    sq = np.zeros(4)
    ga = np.zeros(4)
    buf = np.zeros(4)
    for g in grads:
        _set_grad(p, g)
        opt.step()
        g = g + wd * ref
        sq = alpha * sq + (1 - alpha) * g * g
        ga = alpha * ga + (1 - alpha) * g
        avg = np.sqrt(sq - ga * ga) + eps
        buf = mom * buf + g / avg
        ref = ref - lr * buf
    np.testing.assert_allclose(p.detach().numpy(), ref, rtol=1e-12)
    assert sorted(opt.state[p]) == ["grad_avg", "momentum_buffer", "square_avg", "step"]


# ----------------------------------------------------------------------
# side by side with PyTorch
# ----------------------------------------------------------------------
CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(momentum=0.9, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.001, alpha=0.9, centered=True, maximize=True)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_matches_torch_over_steps(torch, rng, name, kwargs, dtype):
    shapes = [(6, 4), (4,), ()]
    starts = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [_param(s) for s in starts]
    theirs = [torch.nn.Parameter(torch.tensor(s)) for s in starts]
    opt = getattr(optim, name)(ours, **kwargs)
    topt = getattr(torch.optim, name)(theirs, **kwargs)
    rtol = 1e-5 if dtype == "float32" else 1e-11
    for _ in range(5):
        for p, tp, s in zip(ours, theirs, shapes):
            g = rng.standard_normal(s).astype(dtype)
            _set_grad(p, g)
            tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs):
            assert p.dtype == np.dtype(dtype)
            np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=rtol, atol=rtol * 1e-2)
    for p, tp in zip(ours, theirs):
        ours_state, torch_state = opt.state[p], topt.state[tp]
        assert set(ours_state) == set(torch_state)
        for key, value in torch_state.items():
            np.testing.assert_allclose(ours_state[key].numpy(), value.numpy(), rtol=rtol * 10, atol=rtol * 1e-2)


def test_param_groups_match_torch_layout(torch):
    ours = optim.Adam([_param([1.0])], lr=0.01)
    theirs = torch.optim.Adam([torch.nn.Parameter(torch.ones(1))], lr=0.01)
    assert ours.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]
    ours = optim.SGD([_param([1.0])], lr=0.01)
    theirs = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.01)
    assert ours.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]
    ours = optim.RMSprop([_param([1.0])])
    theirs = torch.optim.RMSprop([torch.nn.Parameter(torch.ones(1))])
    assert ours.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]
    assert repr(ours) == repr(theirs)


# ----------------------------------------------------------------------
# parameter groups, zero_grad, closure, bookkeeping
# ----------------------------------------------------------------------
def test_parameter_groups_use_their_own_options():
    a, b = _param([1.0]), _param([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.0)
    assert opt.param_groups[1]["momentum"] == 0.0 and opt.param_groups[1]["params"] == [b]
    _set_grad(a, [1.0])
    _set_grad(b, [1.0])
    opt.step()
    assert a.detach().numpy()[0] == pytest.approx(0.9)
    assert b.detach().numpy()[0] == pytest.approx(0.5)


def test_add_param_group_and_duplicates():
    a, b = _param([1.0]), _param([2.0])
    opt = optim.Adam([a])
    opt.add_param_group({"params": [b], "lr": 0.1})
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="duplicate"):
        optim.SGD([a, a], lr=0.1)


@pytest.mark.parametrize("bad,exc,match", [
    ([], ValueError, "empty parameter list"),
    (None, TypeError, "not iterable"),
])
def test_constructor_rejects_bad_params(bad, exc, match):
    with pytest.raises(exc, match=match):
        optim.SGD(bad, lr=0.1)


def test_constructor_rejects_a_single_tensor_and_non_leaves():
    p = _param([1.0])
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


@pytest.mark.parametrize("cls,kwargs,match", [
    (optim.SGD, dict(lr=-1.0), "learning rate"),
    (optim.SGD, dict(lr=0.1, momentum=-0.1), "momentum"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "Nesterov"),
    (optim.Adam, dict(betas=(1.0, 0.9)), "beta parameter at index 0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "beta parameter at index 1"),
    (optim.Adam, dict(eps=-1.0), "epsilon"),
    (optim.AdamW, dict(weight_decay=-1.0), "weight_decay"),
    (optim.RMSprop, dict(alpha=-0.5), "alpha"),
])
def test_invalid_hyperparameters(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([_param([1.0])], **kwargs)


def test_unsupported_options_raise_clearly():
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.Adam([_param([1.0])], differentiable=True)


def test_zero_grad_to_none_and_in_place():
    p = _param([1.0, 2.0])
    opt = optim.SGD([p], lr=0.1)
    _set_grad(p, [1.0, 1.0])
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and p.grad.numpy().tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_params_without_grad_are_skipped_and_versions_bump():
    a, b = _param([1.0]), _param([1.0])
    opt = optim.Adam([a, b])
    _set_grad(a, [1.0])
    before = a._version
    opt.step()
    assert a._version > before
    assert b.detach().numpy()[0] == 1.0 and b not in opt.state


def test_step_with_closure_returns_loss_and_trains():
    w = _param([3.0])
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss.item()) == pytest.approx(9.0)
    assert w.detach().numpy()[0] == pytest.approx(3.0 - 0.1 * 6.0)


def test_training_reduces_a_quadratic():
    w = _param(np.array([2.0, -3.0]))
    opt = optim.Adam([w], lr=0.1)
    for _ in range(200):
        opt.zero_grad()
        ((w - 1.0) * (w - 1.0)).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 1.0], atol=1e-2)


# ----------------------------------------------------------------------
# state dicts
# ----------------------------------------------------------------------
@pytest.mark.parametrize("name,kwargs", [("Adam", dict(lr=0.01)), ("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("RMSprop", dict(centered=True, momentum=0.5)),
                                         ("AdamW", dict(amsgrad=True))])
def test_state_dict_round_trip_continues_identically(rng, name, kwargs):
    start = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    a = [_param(s) for s in start]
    opt_a = getattr(optim, name)(a, **kwargs)
    for _ in range(3):
        for p in a:
            _set_grad(p, rng.standard_normal(p.shape))
        opt_a.step()
    sd = opt_a.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert sd["param_groups"][0]["params"] == [0, 1]
    b = [_param(p.detach().numpy().copy()) for p in a]
    opt_b = getattr(optim, name)(b, **kwargs)
    opt_b.load_state_dict(sd)
    for key, value in opt_b.state[b[0]].items():
        assert value is not opt_a.state[a[0]][key]          # copied, not aliased
    for _ in range(3):
        grads = [rng.standard_normal(p.shape) for p in a]
        for p, q, g in zip(a, b, grads):
            _set_grad(p, g)
            _set_grad(q, g)
        opt_a.step()
        opt_b.step()
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_load_state_dict_casts_to_param_dtype_and_accepts_arrays():
    p64 = _param(np.ones(3))
    opt64 = optim.Adam([p64])
    _set_grad(p64, np.ones(3))
    opt64.step()
    sd = opt64.state_dict()
    # As a file format might return it: arrays and string keys.
    sd = {"state": {"0": {k: v.numpy() for k, v in sd["state"][0].items()}},
          "param_groups": [dict(sd["param_groups"][0], betas=list(sd["param_groups"][0]["betas"]))]}
    p32 = nn.Parameter(ag.ones(3))
    opt32 = optim.Adam([p32])
    opt32.load_state_dict(sd)
    state = opt32.state[p32]
    assert state["exp_avg"].dtype == np.float32 and state["step"].dtype == np.float32
    assert opt32.param_groups[0]["betas"] == (0.9, 0.999)
    _set_grad(p32, np.ones(3))
    opt32.step()
    assert float(opt32.state[p32]["step"].item()) == 2.0


def test_load_state_dict_checks_groups():
    opt = optim.SGD([_param([1.0]), _param([1.0])], lr=0.1)
    other = optim.SGD([_param([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(other.state_dict())
    two_groups = optim.SGD([{"params": [_param([1.0])]}, {"params": [_param([1.0])]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(two_groups.state_dict())


def test_state_dict_matches_torch_after_steps(torch):
    w = np.arange(4.0, dtype=np.float32)
    p, tp = _param(w), torch.nn.Parameter(torch.tensor(w))
    opt, topt = optim.Adam([p]), torch.optim.Adam([tp])
    for _ in range(2):
        _set_grad(p, np.ones(4))
        tp.grad = torch.ones(4)
        opt.step()
        topt.step()
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert set(ours["state"]) == set(theirs["state"]) == {0}
    for k, v in theirs["state"][0].items():
        np.testing.assert_allclose(ours["state"][0][k].numpy(), v.numpy(), rtol=1e-6)


def test_checkpoint_through_ag_save_and_load(tmp_path):
    """Model, optimizer and scheduler state dicts survive ag.save / ag.load and resume identically."""
    if not hasattr(ag, "save"):
        pytest.skip("ag.save is not available")
    ag.manual_seed(0)
    x, y = ag.randn(8, 4), ag.tensor(np.arange(8) % 3)

    def build():
        ag.manual_seed(1)
        model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))
        opt = optim.Adam(model.parameters(), lr=0.01)
        return model, opt, optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    def train(model, opt, sched, steps):
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            sched.step()

    model, opt, sched = build()
    train(model, opt, sched, 3)
    path = tmp_path / "ckpt"
    ag.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, str(path))
    loaded = ag.load(str(path))
    model2, opt2, sched2 = build()
    model2.load_state_dict(loaded["model"])
    opt2.load_state_dict(loaded["opt"])
    sched2.load_state_dict(loaded["sched"])
    train(model, opt, sched, 3)
    train(model2, opt2, sched2, 3)
    assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]
    for (k, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
