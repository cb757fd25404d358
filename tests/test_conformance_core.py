"""Behaviours an independent audit against PyTorch found different, fixed and pinned here."""
import numpy as np
import pytest

import autograd as ag


@pytest.mark.parametrize("overwrite", [
    lambda y: y.zero_(),
    lambda y: y.fill_(2.0),
    lambda y: y.fill_(ag.tensor(4.0)),
    lambda y: y.copy_(ag.tensor([7.0])),
])
def test_overwriting_a_tensor_in_the_graph_keeps_it_there(overwrite):
    """fill_/zero_/copy_ of a constant on a non-leaf: it stays in the graph (not a leaf,
    requires grad) and the old value's inputs get a zero gradient, as in PyTorch."""
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    overwrite(y)
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_overwriting_with_a_tensor_that_requires_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    s = ag.tensor([5.0, 6.0], requires_grad=True)
    y = x * 3
    y.copy_(s)
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(s.grad.numpy(), [10.0, 12.0])


def test_fill_outside_the_graph_stays_a_leaf():
    y = ag.tensor([1.0, 2.0])
    y.fill_(3.0)
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.no_grad():
        x.zero_()
    assert x.is_leaf and x.requires_grad


@pytest.mark.parametrize("bad, what", [(lambda g: ag.ones(3), "size"),
                                       (lambda g: g.double(), "type")])
def test_a_hook_must_not_change_the_gradient_shape_or_dtype(bad, what):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(bad)
    with pytest.raises(RuntimeError, match=f"changed the {what}"):
        (x * 2).sum().backward()


@pytest.mark.parametrize("a, b", [
    (ag.tensor([1, 2]), ag.tensor(2.0, dtype=ag.float64)),
    (ag.tensor(3.0, dtype=ag.float64), ag.tensor([1, 2])),
    (ag.tensor([True, False]), ag.tensor(2.0, dtype=ag.float64)),
])
def test_true_division_promotes_before_going_to_float(a, b, torch):
    expected = (torch.from_numpy(np.asarray(a.numpy())) / torch.from_numpy(np.asarray(b.numpy())))
    got = a / b
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(got.numpy(), expected.numpy())
