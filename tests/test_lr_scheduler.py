"""Learning-rate schedulers: PyTorch's values step by step, state dicts, resuming."""

import math

import pytest

import autograd as ag
from autograd.optim import SGD
from autograd.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, StepLR


def _params(n=1):
    return [ag.nn.Parameter(ag.zeros(2)) for _ in range(n)]


def _ours_and_torch(torch, make_sched, lrs=(0.1,)):
    ours_groups = [{"params": _params(), "lr": lr} for lr in lrs]
    opt = SGD(ours_groups, lr=lrs[0])
    torch_groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    topt = torch.optim.SGD(torch_groups, lr=lrs[0])
    return opt, make_sched(ag.optim.lr_scheduler, opt), topt, make_sched(torch.optim.lr_scheduler, topt)


SCHEDULERS = [
    ("step", lambda m, o: m.StepLR(o, step_size=3, gamma=0.5)),
    ("step_default_gamma", lambda m, o: m.StepLR(o, step_size=7)),
    ("cosine", lambda m, o: m.CosineAnnealingLR(o, T_max=10)),
    ("cosine_eta_min", lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01)),
    ("lambda", lambda m, o: m.LambdaLR(o, lambda e: 0.9 ** e)),
    ("lambda_list", lambda m, o: m.LambdaLR(o, [lambda e: 1.0 / (e + 1), lambda e: 0.5 * e])),
]


@pytest.mark.parametrize("name,make", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_matches_torch_over_30_steps(torch, name, make):
    lrs = (0.1, 0.03) if name == "lambda_list" else (0.1, 0.05)
    opt, sched, topt, tsched = _ours_and_torch(torch, make, lrs)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=0, abs=0)
    for _ in range(30):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        ours = [g["lr"] for g in opt.param_groups]
        theirs = [g["lr"] for g in topt.param_groups]
        # The recursive formulas are evaluated in the same order: results are bit-identical.
        assert ours == theirs
        assert sched.get_last_lr() == tsched.get_last_lr()
        assert sched.last_epoch == tsched.last_epoch


def test_step_lr_values_by_hand():
    opt = SGD(_params(), lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.1)
    seen = [sched.get_last_lr()[0]]
    for _ in range(5):
        opt.step()
        sched.step()
        seen.append(sched.get_last_lr()[0])
    assert seen == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01, 0.01])


def test_cosine_closed_form_close_to_recursive():
    opt = SGD(_params(), lr=0.5)
    sched = CosineAnnealingLR(opt, T_max=12, eta_min=0.05)
    for t in range(1, 13):
        sched.step()
        expected = 0.05 + (0.5 - 0.05) * (1 + math.cos(math.pi * t / 12)) / 2
        assert opt.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)


def test_initial_lr_recorded_and_resume_requires_it():
    opt = SGD(_params(), lr=0.2)
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(opt, step_size=2, last_epoch=3)
    sched = StepLR(opt, step_size=2)
    assert opt.param_groups[0]["initial_lr"] == 0.2
    assert sched.base_lrs == [0.2]
    assert sched.last_epoch == 0


def test_state_dict_round_trip_continues_identically():
    opt = SGD(_params(), lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        sched.step()
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 4
    opt2 = SGD(_params(), lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    sched2 = CosineAnnealingLR(opt2, T_max=10)
    sched2.load_state_dict(state)
    for _ in range(5):
        sched.step()
        sched2.step()
        assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]


def test_lambda_state_dict_skips_functions_but_keeps_callable_objects():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = SGD([{"params": _params()}, {"params": _params()}], lr=1.0)
    sched = LambdaLR(opt, [lambda e: 1.0, Decay(0.5)])
    state = sched.state_dict()
    assert state["lr_lambdas"][0] is None and state["lr_lambdas"][1] == {"rate": 0.5}
    other = LambdaLR(opt, [lambda e: 1.0, Decay(0.9)])
    other.load_state_dict(state)
    assert other.lr_lambdas[1].rate == 0.5


def test_lambda_list_length_checked():
    opt = SGD(_params(), lr=1.0)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas"):
        LambdaLR(opt, [lambda e: 1.0, lambda e: 2.0])


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        StepLR(object(), step_size=1)


def test_step_with_epoch_uses_closed_form():
    opt = SGD(_params(), lr=1.0)
    sched = StepLR(opt, step_size=3, gamma=0.5)
    with pytest.warns(UserWarning):
        sched.step(7)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25)
