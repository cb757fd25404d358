"""Tensor: construction, attributes, conversions, repr, dtype promotion, operators,
factories, errors."""

import numpy as np
import pytest

import autograd as ag


def tname(dtype):
    return str(dtype).replace("torch.", "")


# ------------------------------------------------------------- construction
def test_tensor_dtype_inference():
    assert ag.tensor(1.5).dtype == ag.float32
    assert ag.tensor(3).dtype == ag.int64
    assert ag.tensor(True).dtype == ag.bool
    assert ag.tensor([[1, 2], [3, 4]]).dtype == ag.int64
    assert ag.tensor([1, 2.5]).dtype == ag.float32
    assert ag.tensor(np.zeros(3)).dtype == ag.float64
    assert ag.tensor(np.zeros(3, dtype=np.float32)).dtype == ag.float32
    assert ag.tensor([1, 2], dtype=ag.float64).dtype == ag.float64
    assert ag.tensor([]).shape == (0,) and ag.tensor([]).dtype == ag.float32


def test_tensor_copies_its_input():
    a = np.zeros(3)
    t = ag.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 0


def test_from_numpy_shares_memory():
    a = np.zeros(3)
    t = ag.from_numpy(a)
    a[0] = 5
    assert t.numpy()[0] == 5


def test_default_dtype_switch():
    ag.set_default_dtype(ag.float64)
    try:
        assert ag.tensor([1.5]).dtype == ag.float64
        assert ag.zeros(2).dtype == ag.float64
        assert (ag.tensor([1, 2]) * 0.5).dtype == ag.float64
    finally:
        ag.set_default_dtype(ag.float32)
    assert ag.get_default_dtype() == ag.float32


def test_tensor_class_constructor():
    t = ag.Tensor([1.0, 2.0])
    assert isinstance(t, ag.Tensor) and ag.is_tensor(t) and not ag.is_tensor([1.0])
    assert t.shape == (2,)


def test_bad_data_raises():
    with pytest.raises((TypeError, ValueError)):
        ag.tensor("abc")
    with pytest.raises((TypeError, ValueError)):
        ag.tensor([[1, 2], [3]])
    with pytest.raises(TypeError):
        ag.tensor([1.0], dtype="complex64")


def test_requires_grad_needs_float():
    with pytest.raises(RuntimeError, match="floating point"):
        ag.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ag.ones(2, dtype=ag.int64).requires_grad_()


# --------------------------------------------------------------- attributes
def test_attributes():
    x = ag.ones(2, 3, requires_grad=True)
    assert x.shape == (2, 3) and isinstance(x.shape, tuple)
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.dtype == ag.float32 and x.device == "cpu"
    assert x.is_leaf and x.grad_fn is None and x.grad is None
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    assert x.T.shape == (3, 2)
    d = x.data
    assert not d.requires_grad and d.shape == (2, 3)
    d[0, 0] = 5.0
    assert x.detach().numpy()[0, 0] == 5.0
    with pytest.raises(IndexError):
        x.size(2)


def test_item_tolist_numpy():
    assert ag.tensor(2.5).item() == 2.5
    assert isinstance(ag.tensor(3).item(), int)
    assert ag.tensor([[1, 2]]).tolist() == [[1, 2]]
    with pytest.raises(RuntimeError, match="elements"):
        ag.tensor([1.0, 2.0]).item()
    x = ag.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert isinstance(x.detach().numpy(), np.ndarray)


def test_conversions():
    x = ag.tensor([1.7, -2.2])
    assert x.double().dtype == ag.float64
    assert x.long().dtype == ag.int64 and x.long().tolist() == [1, -2]
    assert x.to(ag.float64).dtype == ag.float64
    assert x.to("cpu") is x
    assert x.cpu() is x
    assert x.float() is x
    assert x.to(ag.zeros(1, dtype=ag.float64)).dtype == ag.float64
    assert ag.tensor([1, 0]).bool().tolist() == [True, False]
    with pytest.raises(ValueError):
        x.to("tpu")


def test_to_dtype_is_differentiable():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    y.sum().backward()
    assert x.grad.dtype == ag.float32
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_clone_contiguous_zero_fill_copy():
    x = ag.arange(6.0).reshape(2, 3)
    t = x.T
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.tolist() == t.tolist()
    assert x.contiguous() is x
    z = x.clone()
    z.zero_()
    assert x.sum().item() == 15 and z.sum().item() == 0
    z.fill_(2)
    assert z.tolist() == [[2, 2, 2], [2, 2, 2]]
    z.copy_(ag.tensor([1.0, 2.0, 3.0]))
    assert z.tolist() == [[1, 2, 3], [1, 2, 3]]


def test_python_protocol():
    x = ag.tensor([1.0, 2.0, 3.0])
    assert len(x) == 3
    assert [v.item() for v in x] == [1, 2, 3]
    assert float(ag.tensor(2.5)) == 2.5 and int(ag.tensor(3)) == 3
    assert bool(ag.tensor(1.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(TypeError):
        len(ag.tensor(1.0))
    assert [10, 20, 30][ag.tensor(1)] == 20
    d = {x: 1}
    assert d[x] == 1


# --------------------------------------------------------------------- repr
def test_repr_like_pytorch(torch):
    cases = [
        lambda L: L.tensor(3.0),
        lambda L: L.tensor([1.0, 2.0]),
        lambda L: L.tensor([1.5, -2.25]),
        lambda L: L.tensor([[0.1, 2.5], [3.0, 4.0]]),
        lambda L: L.tensor([1, 2, 30]),
        lambda L: L.tensor([True, False]),
        lambda L: L.tensor([1e-5, 1.0]),
        lambda L: L.tensor([0.1, 2.5], dtype=L.float64),
        lambda L: L.tensor([1, 2], dtype=L.int32),
        lambda L: L.zeros(0, 3),
        lambda L: L.tensor([]),
    ]
    for make in cases:
        ours = repr(make(ag)).replace("autograd.", "torch.")
        assert ours == repr(make(torch)), (ours, repr(make(torch)))
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert "grad_fn=<AddBackward0>" in repr(x + x)


# --------------------------------------------------------- type promotion
@pytest.mark.parametrize("make", [
    lambda L: L.ones(2) + L.ones(2, dtype=L.float64),
    lambda L: L.ones(2) + L.tensor(1.0, dtype=L.float64),
    lambda L: L.ones(2, dtype=L.int64) + 2.5,
    lambda L: L.ones(2, dtype=L.int32) + 2,
    lambda L: L.ones(2, dtype=L.int32) + L.ones(2, dtype=L.int64),
    lambda L: L.ones(2, dtype=L.int64) / L.ones(2, dtype=L.int64),
    lambda L: L.ones(2, dtype=L.int64) / 2,
    lambda L: L.ones(2) * 2,
    lambda L: L.ones(2, dtype=L.float64) * 2.5,
    lambda L: L.tensor([True, False]) + 1,
    lambda L: L.tensor([True, False]) * 1.5,
    lambda L: L.ones(2, dtype=L.int64) * L.tensor(2.0),
    lambda L: 2 ** L.ones(2, dtype=L.int64),
    lambda L: L.ones(2, dtype=L.int64) ** 2,
    lambda L: L.ones(2, dtype=L.int64).exp(),
    lambda L: L.ones(2, dtype=L.int32).sum(),
    lambda L: L.tensor([True, True]).sum(),
    lambda L: L.ones(2, dtype=L.int64) // 2,
    lambda L: L.ones(2) > 0,
    lambda L: L.where(L.ones(2) > 0, L.ones(2), L.zeros(2, dtype=L.float64)),
    lambda L: L.cat([L.ones(2), L.ones(2, dtype=L.float64)]),
    lambda L: L.full((2,), 7),
    lambda L: L.full((2,), 7.0),
    lambda L: L.full((2,), True),
    lambda L: L.arange(5),
    lambda L: L.arange(0, 1, 0.5),
    lambda L: L.arange(5.0),
])
def test_type_promotion_matches_torch(make, torch):
    assert tname(make(ag).dtype) == tname(make(torch).dtype)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_numbers_and_ndarrays_on_both_sides(torch):
    arr = np.array([1.0, 2.0, 4.0])
    for op in [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
               lambda a, b: a ** b, lambda a, b: a // b, lambda a, b: a % b]:
        for left, right in [(2.0, None), (None, 2.0), (3, None), (None, 3), (arr, None),
                            (None, arr)]:
            def run(L):
                t = L.tensor([1.5, -2.0, 3.0])
                a = t if left is None else left
                b = t if right is None else right
                if L is not ag and isinstance(a, np.ndarray):
                    a = L.tensor(a)   # torch does not take an ndarray on the left
                return op(a, b)
            ours, theirs = run(ag), run(torch)
            assert tname(ours.dtype) == tname(theirs.dtype)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_floor_divide_and_remainder_follow_python(torch):
    a = [5, -5, 7, -7]
    b = [3, 3, -2, -2]
    for L in (ag,):
        assert (L.tensor(a) // L.tensor(b)).tolist() == [x // y for x, y in zip(a, b)]
        assert (L.tensor(a) % L.tensor(b)).tolist() == [x % y for x, y in zip(a, b)]
        fa = L.tensor([5.5, -5.5])
        assert (fa % 2).tolist() == [5.5 % 2, -5.5 % 2]
        assert (fa // 2).tolist() == [5.5 // 2, -5.5 // 2]


def test_comparisons_give_bool_without_grad():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r in (x == 2, x != 2, x < 2, x <= 2, x > 2, x >= 2, 2 < x, x == x):
        assert r.dtype == ag.bool and not r.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]
    assert (~(x > 1)).tolist() == [True, False, False]
    assert (x == None) is False  # noqa: E711


def test_in_place_operators_and_methods():
    x = ag.tensor([1.0, 2.0])
    x += 1
    x -= ag.tensor([0.5, 0.5])
    x *= 2
    x /= 4
    assert x.tolist() == [0.75, 1.25]
    x.add_(1, alpha=2).sub_(1).mul_(2).div_(2)
    assert x.tolist() == [1.75, 2.25]
    x.clamp_(2.0, 2.1)
    assert x.tolist() == [2.0, 2.0999999046325684]
    i = ag.tensor([1, 2])
    with pytest.raises(RuntimeError, match="cast"):
        i += 1.5
    with pytest.raises(RuntimeError):
        x += ag.ones(3)


# ----------------------------------------------------------------- errors
def test_broadcast_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(4,\)"):
        ag.ones(2, 3) + ag.ones(4)
    with pytest.raises(ValueError):   # also a ValueError, as API.md allows either
        ag.ones(2, 3) * ag.ones(4)


def test_matmul_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(64, 784\) and \(128, 784\) do not "
                                           r"align \(784 != 128\)"):
        ag.zeros(64, 784) @ ag.zeros(128, 784)
    with pytest.raises(RuntimeError, match="1D"):
        ag.tensor(1.0) @ ag.ones(2)


def test_wrong_operand_types():
    with pytest.raises(TypeError):
        ag.ones(2) + "a"
    with pytest.raises(TypeError):
        ag.ones(2) + [1, 2]
    with pytest.raises(TypeError):
        ag.exp(np.ones(2))


def test_dim_out_of_range():
    with pytest.raises(IndexError, match="range"):
        ag.ones(2, 3).sum(2)
    with pytest.raises(IndexError):
        ag.ones(2, 3).softmax(3)
    with pytest.raises(IndexError):
        ag.ones(3)[5]


def test_reshape_errors():
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        ag.ones(2, 3).reshape(4, 2)
    with pytest.raises(RuntimeError):
        ag.ones(2, 3).reshape(-1, -1)
    with pytest.raises(RuntimeError):
        ag.ones(2, 3).expand(4, 3)


# ---------------------------------------------------------------- factories
def test_factories_shapes_dtypes(torch):
    for name in ("zeros", "ones", "empty", "rand", "randn"):
        for args in [(2, 3), ((2, 3),), ([4],), ((),)]:
            ours = getattr(ag, name)(*args)
            theirs = getattr(torch, name)(*args)
            assert ours.shape == tuple(theirs.shape) and tname(ours.dtype) == tname(theirs.dtype)
    assert ag.zeros(2, dtype=ag.int32).dtype == ag.int32
    assert ag.ones(2, requires_grad=True).requires_grad
    np.testing.assert_allclose(ag.linspace(0, 1, 5).numpy(), torch.linspace(0, 1, 5).numpy())
    np.testing.assert_allclose(ag.eye(2, 3).numpy(), torch.eye(2, 3).numpy())
    assert ag.arange(1, 10, 3).tolist() == torch.arange(1, 10, 3).tolist()
    np.testing.assert_allclose(ag.arange(0, 1, 0.1).numpy(), torch.arange(0, 1, 0.1).numpy(),
                               rtol=1e-6)
    assert ag.randint(0, 5, (3, 2)).dtype == ag.int64
    r = ag.randint(3, 6, (1000,))
    assert r.min().item() >= 3 and r.max().item() <= 5
    assert ag.randint(4, (2,)).shape == (2,)
    x = ag.ones(2, 3, dtype=ag.float64)
    for like in (ag.zeros_like, ag.ones_like, ag.rand_like, ag.randn_like):
        y = like(x)
        assert y.shape == x.shape and y.dtype == ag.float64
    assert ag.full_like(x, 3).tolist() == [[3.0] * 3] * 2
    with pytest.raises(RuntimeError):
        ag.zeros(-1)


def test_manual_seed_reproducible():
    ag.manual_seed(42)
    a = ag.randn(5).tolist()
    b = ag.rand(3).tolist()
    ag.manual_seed(42)
    assert ag.randn(5).tolist() == a and ag.rand(3).tolist() == b
    ag.manual_seed(43)
    assert ag.randn(5).tolist() != a
    from autograd import random as agrandom
    ag.manual_seed(7)
    g = agrandom.generator().random()
    ag.manual_seed(7)
    assert agrandom.generator().random() == g


def test_random_distributions_look_right():
    ag.manual_seed(0)
    u = ag.rand(20000).numpy()
    n = ag.randn(20000).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03


def test_numpy_array_on_left_defers_to_tensor():
    r = np.array([1.0, 2.0]) * ag.tensor([2.0, 2.0])
    assert isinstance(r, ag.Tensor)
    r = np.float32(2.0) * ag.tensor([2.0, 2.0])
    assert isinstance(r, ag.Tensor) and r.dtype == ag.float32


def test_new_factories_masked_fill_and_random_fill(torch):
    x = ag.ones(2, 3, dtype=ag.float64)
    assert x.new_zeros(4).dtype == ag.float64 and x.new_zeros(4).shape == (4,)
    assert x.new_ones((2, 2)).tolist() == [[1, 1], [1, 1]]
    assert x.new_full((2,), 3).dtype == ag.float64
    assert x.new_tensor([1, 2]).dtype == ag.float64
    v = ag.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    t = torch.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    a = v.masked_fill(v < 0, 0.5)
    b = t.masked_fill(t < 0, 0.5)
    (a * a).sum().backward()
    (b * b).sum().backward()
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy())
    np.testing.assert_allclose(v.grad.numpy(), t.grad.numpy())
    ag.manual_seed(0)
    u = ag.zeros(1000).uniform_(-2, 2)
    assert -2 <= u.min().item() and u.max().item() < 2
    n = ag.zeros(1000).normal_(3, 0.5)
    assert abs(n.mean().item() - 3) < 0.1
    assert ag.autograd.grad((v * v).sum(), v)[0].shape == (2, 2)
