"""nn and optim on the test-only "strict" device (CuPy's manners without a GPU).

Every layer, loss, optimizer, init function and clip_grad_norm_ runs on the
strict device and must match the cpu results: a stray host-numpy call in
nn/optim code raises there exactly as it would on cuda.
"""

import numpy as np
import pytest

import autograd as ag
from autograd import nn, optim
import autograd.nn.functional as F
from autograd.backend import register_backend
from autograd.backend.strict import StrictBackend

register_backend("strict", StrictBackend)
DEVICE = "strict"


def _host(t):
    return t.detach().cpu().numpy()


def _model():
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 8), nn.GELU(),
                         nn.LayerNorm(8), nn.Dropout(0.0), nn.Tanh(), nn.Linear(8, 4))


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda p: optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.01),
    lambda p: optim.AdamW(p, lr=0.01),
    lambda p: optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5),
])
def test_training_steps_match_cpu(rng, make_opt):
    x = rng.standard_normal((10, 6)).astype(np.float32)
    y = rng.integers(0, 4, 10)
    results = []
    for device in ("cpu", DEVICE):
        model = _model().to(device)
        assert all(p.device == device for p in model.parameters())
        assert model[2].running_mean.device == device
        opt = make_opt(model.parameters())
        xt, yt = ag.tensor(x, device=device), ag.tensor(y, device=device)
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(model(xt), yt, label_smoothing=0.1)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        state = opt.state[next(model.parameters())]
        assert all(v.device == (device if k != "step" else "cpu") for k, v in state.items())
        results.append(({k: _host(v) for k, v in model.state_dict().items()}, float(loss.item())))
    (cpu_sd, cpu_loss), (dev_sd, dev_loss) = results
    assert dev_loss == pytest.approx(cpu_loss, rel=1e-5)
    for key in cpu_sd:
        np.testing.assert_allclose(dev_sd[key], cpu_sd[key], rtol=1e-4, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("fn,target_kind,kwargs", [
    (F.cross_entropy, "class", dict(ignore_index=1)),
    (F.cross_entropy, "class", dict(weight="w", label_smoothing=0.2)),
    (F.cross_entropy, "prob", dict()),
    (F.nll_loss, "class", dict(weight="w")),
    (F.mse_loss, "float", dict()),
    (F.l1_loss, "float", dict(reduction="sum")),
    (F.binary_cross_entropy_with_logits, "binary", dict(pos_weight="pw")),
])
def test_losses_match_cpu(rng, fn, target_kind, kwargs):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    target = {"class": rng.integers(0, 3, 5), "prob": np.full((5, 3), 1 / 3, np.float32),
              "float": rng.standard_normal((5, 3)).astype(np.float32),
              "binary": (rng.random((5, 3)) > 0.5).astype(np.float32)}[target_kind]
    extra = {"w": np.array([0.5, 1.0, 2.0], np.float32), "pw": np.array([2.0, 1.0, 0.5], np.float32)}
    out = []
    for device in ("cpu", DEVICE):
        xt = ag.tensor(x, device=device, requires_grad=True)
        kw = {k: (ag.tensor(extra[v], device=device) if v in extra else v) for k, v in kwargs.items()}
        loss = fn(xt, ag.tensor(target, device=device), **kw)
        loss.backward()
        assert xt.grad.device == device
        out.append((_host(loss), _host(xt.grad)))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-5)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-5, atol=1e-7)


def test_class_index_checked_on_device():
    # Device gathers wrap out-of-range indices instead of raising: the library must check.
    with pytest.raises(IndexError):
        F.nll_loss(ag.zeros(2, 3, device=DEVICE), ag.tensor([0, 3], device=DEVICE))
    with pytest.raises(IndexError):
        F.cross_entropy(ag.zeros(2, 3, device=DEVICE), ag.tensor([0, 5], device=DEVICE))


def test_init_dropout_and_state_dict_across_devices():
    w = ag.empty(20, 30, device=DEVICE)
    for init_fn in (nn.init.kaiming_uniform_, nn.init.xavier_normal_, nn.init.zeros_, nn.init.ones_):
        assert init_fn(w) is w and w.device == DEVICE
    ag.manual_seed(1)
    cpu_mask = _host(F.dropout(ag.ones(50), 0.3))
    ag.manual_seed(1)
    np.testing.assert_array_equal(_host(F.dropout(ag.ones(50, device=DEVICE), 0.3)), cpu_mask)
    model = _model().to(DEVICE)
    cpu_model = _model()
    cpu_model.load_state_dict(model.state_dict())     # device tensors into cpu parameters
    model.load_state_dict(cpu_model.state_dict())     # and back
    opt = optim.Adam(model.parameters())
    model(ag.randn(4, 6, device=DEVICE)).sum().backward()
    opt.step()
    cpu_opt = optim.Adam(cpu_model.parameters())
    cpu_opt.load_state_dict(opt.state_dict())
    assert all(v.device == "cpu" for s in cpu_opt.state.values() for v in s.values())
