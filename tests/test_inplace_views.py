"""Views and in-place ops inside the graph, against PyTorch: a view taken before its base
(or a sibling or intermediate view) is changed in place must differentiate through the
base's new history (PyTorch regenerates the view's grad_fn); split/chunk/unbind outputs may
not be changed in place; view() never copies."""

import gc

import numpy as np
import pytest

import autograd as ag


# Each case runs with L = ag or torch and leaves `x` (the leaf) and `outs` (tensors whose
# forward values are compared; the first one is reduced and differentiated).
CASES = {
    # the audit's repros
    "base mul_ then slice": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[0:2]
y.mul_(3); outs = [v.sum(), v, y]""",
    "base mul_(x) then view": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y.view(3)
y.mul_(x); outs = [v.sum(), v]""",
    "sibling view mul_": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[1:]; w = y[:2]
v.mul_(x[1:]); outs = [w.sum(), w, v, y]""",
    "nested views": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[0:2]; v2 = v[0:1]
v2.mul_(5); outs = [y.sum() + v.sum(), v, v2, y]""",
    # more view kinds
    "int index": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[1]
y.add_(x * x); outs = [v * 3, v]""",
    "2d int index row": """
x = L.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True); y = x * 1; r = y[1]
y.mul_(x); outs = [(r * L.tensor([1., 2., 3.])).sum(), r]""",
    "reshape view": """
x = L.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True); y = x * 2; v = y.reshape(3, 2)
y.mul_(x); outs = [(v * L.arange(6.).reshape(3, 2)).sum(), v]""",
    "transpose": """
x = L.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True); y = x * 2; v = y.t()
y += x * x; outs = [(v * L.arange(6.).reshape(3, 2)).sum(), v]""",
    "permute": """
x = L.arange(24.).reshape(2, 3, 4).requires_grad_(); y = x * 1; v = y.permute(2, 0, 1)
y.mul_(x); outs = [(v * L.arange(24.).reshape(4, 2, 3)).sum(), v]""",
    "expand": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y.expand(2, 3)
y.mul_(x); outs = [(v * L.tensor([[1., 2., 3.], [4., 5., 6.]])).sum(), v]""",
    "strided slice": """
x = L.arange(1., 7.).requires_grad_(); y = x * 2; v = y[::2]
y.mul_(x); outs = [(v * L.tensor([1., 10., 100.])).sum(), v]""",
    "diagonal via strided flat slice": """
x = L.arange(1., 10.).reshape(3, 3).requires_grad_(); y = x * 1; d = y.reshape(-1)[::4]
y.mul_(x); outs = [(d * L.tensor([1., 2., 3.])).sum(), d]""",
    "unsqueeze and squeeze": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; u = y.unsqueeze(0); s = u.squeeze(0)
y.mul_(x); outs = [(u * 2).sum() + (s * L.tensor([1., 2., 3.])).sum(), u, s]""",
    "view of view, base changed": """
x = L.arange(1., 7.).requires_grad_(); y = x * 2; v = y[1:]; v2 = v.view(5)[1:4]
y.mul_(x); outs = [(v2 * L.tensor([1., 2., 3.])).sum(), v2, v]""",
    "intermediate view changed, inner view used": """
x = L.arange(1., 7.).requires_grad_(); y = x * 2; v = y[1:5]; v2 = v[1:3]
v.mul_(x[1:5]); outs = [(v2 * L.tensor([1., 2.])).sum() + y.sum(), v2, v, y]""",
    "iadd on base": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[:2]
y += x * x; outs = [(v * v).sum(), v]""",
    "add_ alpha on sibling": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[:2]; w = y[1:]
w.add_(x[1:] * x[1:], alpha=3); outs = [(v * v).sum(), v, w]""",
    "clamp_ on base": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[1:]
y.clamp_(3., 5.); outs = [(v * v).sum(), v]""",
    "copy_ on base": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[1:]
y.copy_(x * x * x); outs = [(v * L.tensor([1., 10.])).sum(), v]""",
    "fill_ on sibling": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[:2]; w = y[1:2]
w.fill_(7.); outs = [(v * L.tensor([1., 10.])).sum(), v]""",
    "setitem on base": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[:2]
y[0] = 5; outs = [(v * L.tensor([1., 10.])).sum(), v]""",
    "setitem tensor on base": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[:2]
y[1:] = x[:2] * x[:2]; outs = [(v * L.tensor([1., 10.])).sum(), v]""",
    "setitem on a view of the base": """
x = L.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x * 2; r = y[1]; c = y[:, 0]
r[0] = x[0, 1] * 3; outs = [(c * L.tensor([1., 10.])).sum(), c, r, y]""",
    "base changed twice": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[1:]
y.mul_(x); y.add_(x); outs = [(v * v).sum(), v]""",
    "base without grad gets grad": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = L.zeros(3); v = y[:2]
y.add_(x * x); outs = [(v * L.tensor([1., 10.])).sum(), v]""",
    "view changed then base used and view reused": """
x = L.tensor([1., 2., 3.], requires_grad=True); y = x * 2; v = y[1:]
v.mul_(x[1:]); y.mul_(2); outs = [(v * L.tensor([1., 10.])).sum() + y.sum(), v, y]""",
    "non-contiguous base": """
x = L.arange(1., 7.).reshape(2, 3).requires_grad_(); y = x.t() * 2; r = y[1]
y.mul_(L.arange(6.).reshape(3, 2)); outs = [(r * L.tensor([1., 10.])).sum(), r, y]""",
}


def _run(L, code):
    env = {"L": L}
    exec(code, env)
    x, outs = env["x"], env["outs"]
    outs[0].backward()
    return x.grad.detach().numpy().copy(), [o.detach().numpy().copy() for o in outs]


@pytest.mark.parametrize("name", list(CASES))
def test_views_see_inplace_changes_like_torch(torch, name):
    g_ag, vals_ag = _run(ag, CASES[name])
    g_th, vals_th = _run(torch, CASES[name])
    for a, t in zip(vals_ag, vals_th):
        np.testing.assert_allclose(a, t, rtol=1e-6)
    np.testing.assert_allclose(g_ag, g_th, rtol=1e-6)


def test_regenerated_view_grad_fn_and_requires_grad(torch):
    x = ag.tensor([1., 2., 3.], requires_grad=True)
    y = ag.zeros(3)
    v = y[:2]
    assert not v.requires_grad
    y.mul_(x)
    assert v.requires_grad and v.grad_fn.name() == "AsStridedBackward0"
    tx = torch.tensor([1., 2., 3.], requires_grad=True)
    ty = torch.zeros(3)
    tv = ty[:2]
    ty.mul_(tx)
    assert tv.requires_grad and type(tv.grad_fn).__name__ == "AsStridedBackward0"


def test_regenerated_view_double_backward(torch):
    def run(L):
        x = L.tensor([1., 2., 3.], requires_grad=True)
        y = x * 1
        v = y[1:]
        y.mul_(x)   # y = x**2
        (g,) = L.autograd.grad((v * v * v).sum(), x, create_graph=True)   # d(x**6)
        g.sum().backward()
        return g.detach().numpy(), x.grad.numpy()
    for a, t in zip(run(ag), run(torch)):
        np.testing.assert_allclose(a, t, rtol=1e-6)


def test_retain_grad_of_a_view_survives_the_base_change(torch):
    def run(L):
        x = L.tensor([1., 2., 3.], requires_grad=True)
        y = x * 2
        v = y[:2]
        v.retain_grad()
        y.mul_(3)
        (v * v).sum().backward()
        return v.grad.numpy(), x.grad.numpy()
    for a, t in zip(run(ag), run(torch)):
        np.testing.assert_allclose(a, t)


def test_view_made_under_no_grad_is_not_rebased():
    x = ag.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    with ag.no_grad():
        v = y[:2]
    y.mul_(3)
    assert v.grad_fn is None and not v.requires_grad   # torch raises here instead


def test_view_registry_does_not_grow():
    x = ag.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    for _ in range(1000):
        y[1:].sum()
    assert len(y._views) < 40
    keep = [y[i] for i in range(3)]
    y.mul_(2)
    assert len(y._views) == 3 and all(k.grad_fn.name() == "AsStridedBackward0" for k in keep)


# ------------------------------------------------------------ multiple-view outputs
@pytest.mark.parametrize("make,op", [
    (lambda y: y.split(2), "Split"), (lambda y: y.split([1, 2]), "SplitWithSizes"),
    (lambda y: y.chunk(2), "Split"), (lambda y: y.unbind(), "Unbind"),
    (lambda y: ag.split(y, 2), "Split"), (lambda y: ag.unbind(y, 0), "Unbind")])
def test_inplace_on_split_chunk_unbind_output_raises(torch, make, op):
    x = ag.tensor([1., 2., 3.], requires_grad=True)
    parts = make(x * 2)
    msg = f"Output 1 of {op} is a view and is being modified inplace"
    with pytest.raises(RuntimeError, match=msg):
        parts[1].mul_(2)
    with pytest.raises(RuntimeError, match="returns multiple views"):
        parts[0][0] = x[0]
    tx = torch.tensor([1., 2., 3.], requires_grad=True)
    tmake = {"Split": lambda y: y.split(2), "SplitWithSizes": lambda y: y.split([1, 2]),
             "Unbind": lambda y: y.unbind()}[op]
    with pytest.raises(RuntimeError, match=msg):
        tmake(tx * 2)[1].mul_(2)


def test_split_outputs_outside_the_graph_can_change_in_place():
    x = ag.tensor([1., 2., 3.], requires_grad=True)
    with ag.no_grad():
        a, b = (x * 2).split(2)
        a.mul_(2)
    c, d = ag.arange(4.).split(2)
    d.add_(10)
    assert a.tolist() == [4., 8.] and d.tolist() == [12., 13.]


def test_split_output_backward_after_base_changed_raises():
    x = ag.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    a, b = y.split(2)
    y.mul_(3)
    with pytest.raises(RuntimeError, match="Output 0 of Split is a view and its base"):
        a.sum().backward()


# ------------------------------------------------------------ view() never copies
def test_view_of_incompatible_strides_raises_like_torch(torch):
    x = ag.arange(6.).reshape(2, 3)
    with pytest.raises(RuntimeError, match=r"view size is not compatible .* Use \.reshape"):
        x.t().view(6)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().view(-1)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        ag.arange(3.).expand(2, 3).view(6)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        torch.arange(6.).reshape(2, 3).t().view(6)


def test_view_of_non_contiguous_compatible_shape_shares_memory(torch):
    x = ag.arange(6.).reshape(2, 3)
    v = x.t().view(3, 1, 2)
    v.add_(100)
    tx = torch.arange(6.).reshape(2, 3)
    tx.t().view(3, 1, 2).add_(100)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
    e = ag.arange(3.).expand(2, 3).view(2, 1, 3)
    assert e.shape == (2, 1, 3)


def test_reshape_that_copies_is_not_a_view(torch):
    x = ag.arange(6.).reshape(2, 3)
    r = x.t().reshape(6)
    assert r._base is None
    r.add_(1)
    assert x._version == 0 and x.tolist() == [[0., 1., 2.], [3., 4., 5.]]
    tx = torch.arange(6.).reshape(2, 3)
    tr = tx.t().reshape(6)
    tr.add_(1)
    assert tr._base is None and tx._version == 0


def test_gc_of_views_keeps_base_usable():
    x = ag.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    v = y[:2]
    del v
    gc.collect()
    y.mul_(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4., 8., 12.])
