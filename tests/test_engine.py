"""The reverse-mode engine: ordering, accumulation, freeing, higher order, ag.grad,
hooks, retain_grad, version counters, in-place ops in the graph."""

import numpy as np
import pytest

import autograd as ag


def leaf(values, dtype=ag.float64):
    return ag.tensor(values, dtype=dtype, requires_grad=True)


# ---------------------------------------------------------------- basics
def test_scalar_backward_accumulates_into_leaves():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4, 8, 12])


def test_grad_is_none_before_backward_and_for_non_requiring():
    x = leaf([1.0])
    c = ag.tensor([2.0])
    (x * c).sum().backward()
    assert c.grad is None
    assert x.grad is not None


def test_long_chain_is_iterative():
    x = leaf([1.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0])


def test_deep_graph_with_10000_adds():
    x = leaf(2.0)
    y = x
    for _ in range(10_000):
        y = y + x
    y.backward()
    assert x.grad.item() == 10_001


def test_diamond_runs_each_node_once_and_sums():
    calls = []

    class Count(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g

    x = leaf([1.0, 2.0])
    h = Count.apply(x)
    y = (h * 2 + h * 3 + h.exp()).sum()
    y.backward()
    assert len(calls) == 1
    np.testing.assert_allclose(x.grad.numpy(), 5 + np.exp([1.0, 2.0]))


def test_same_input_twice_sums_gradients():
    x = leaf(3.0)
    (x * x).backward()
    assert x.grad.item() == 6.0
    y = leaf(2.0)
    ag.add(y, y).backward()
    assert y.grad.item() == 2.0


def test_leaf_grads_are_independent_copies():
    # add's backward passes the same gradient to both inputs; in-place changes
    # of one .grad must not leak into the other
    a = leaf([1.0, 1.0])
    b = leaf([1.0, 1.0])
    (a + b).sum().backward()
    a.grad.zero_()
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_backward_on_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    y.backward(ag.tensor([1.0, 10.0], dtype=ag.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_backward_gradient_shape_mismatch_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(ag.ones(3, dtype=ag.float64))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.tensor(1.0).backward()


def test_backward_from_a_leaf():
    x = leaf(1.5)
    x.backward()
    assert x.grad.item() == 1.0


# ---------------------------------------------------------- freeing graph
def test_second_backward_raises_and_retain_graph_allows_it():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_freed_graph_message_mentions_retain_graph():
    x = leaf(2.0)
    y = x.exp()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


# ------------------------------------------------------------ create_graph
def test_second_derivative_via_create_graph():
    x = leaf([1.0, 2.0, 3.0])
    y = (x ** 3).sum()
    (g,) = ag.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * np.array([1, 4, 9.0]))
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6, 12, 18])


def test_backward_create_graph_gives_differentiable_grad():
    x = leaf(2.0)
    y = x ** 4
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.backward()
    assert x.grad.item() == pytest.approx(12 * 4.0)


@pytest.mark.parametrize("name,fn,d2", [
    ("exp", lambda t: t.exp(), lambda v: np.exp(v)),
    ("log", lambda t: t.log(), lambda v: -1 / v ** 2),
    ("sin", lambda t: t.sin(), lambda v: -np.sin(v)),
    ("cos", lambda t: t.cos(), lambda v: -np.cos(v)),
    ("tanh", lambda t: t.tanh(), lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
    ("sigmoid", lambda t: t.sigmoid(),
     lambda v: (lambda s: s * (1 - s) * (1 - 2 * s))(1 / (1 + np.exp(-v)))),
    ("sqrt", lambda t: t.sqrt(), lambda v: -0.25 * v ** -1.5),
    ("rsqrt", lambda t: t.rsqrt(), lambda v: 0.75 * v ** -2.5),
    ("reciprocal", lambda t: t.reciprocal(), lambda v: 2 / v ** 3),
    ("square", lambda t: t.square(), lambda v: 2 + 0 * v),
    ("pow3", lambda t: t ** 3, lambda v: 6 * v),
    ("log1p", lambda t: t.log1p(), lambda v: -1 / (1 + v) ** 2),
    ("expm1", lambda t: t.expm1(), lambda v: np.exp(v)),
    ("relu", lambda t: t.relu(), lambda v: 0 * v),
    ("abs", lambda t: t.abs(), lambda v: 0 * v),
])
def test_second_derivative_of_elementwise_ops(name, fn, d2):
    v = np.array([0.3, 0.7, 1.4])
    x = leaf(v)
    (g,) = ag.grad(fn(x).sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x, allow_unused=True)
    h = np.zeros(3) if h is None else h.numpy()
    np.testing.assert_allclose(h, d2(v), rtol=1e-6, atol=1e-12)


def test_hessian_vector_product_of_mlp_loss_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((5, 3)))
    target = ag.tensor(rng.integers(0, 2, 5))
    w1 = leaf(rng.standard_normal((4, 3)) * 0.5)
    b1 = leaf(rng.standard_normal(4) * 0.1)
    w2 = leaf(rng.standard_normal((2, 4)) * 0.5)
    params = [w1, b1, w2]
    vecs = [ag.tensor(rng.standard_normal(p.shape)) for p in params]

    def loss_fn(ps):
        h = ag.tanh(ag.linear(x, ps[0], ps[1]))
        logits = h @ ps[2].T
        logp = logits.log_softmax(1)
        return -(logp[ag.arange(5), target]).mean() + (ps[0] ** 2).sum() * 0.01

    loss = loss_fn(params)
    grads = ag.grad(loss, params, create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(grads, vecs))
    hvp = ag.grad(dot, params)

    eps = 1e-6

    def flat_grad(shift):
        ps = [ag.tensor(p.detach().numpy() + shift * v.numpy(), requires_grad=True)
              for p, v in zip(params, vecs)]
        return [g.numpy() for g in ag.grad(loss_fn(ps), ps)]

    plus, minus = flat_grad(eps), flat_grad(-eps)
    for h, p, m in zip(hvp, plus, minus):
        np.testing.assert_allclose(h.numpy(), (p - m) / (2 * eps), rtol=1e-5, atol=1e-7)


def test_hvp_matches_torch(torch):
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((4, 3))
    w = rng.standard_normal((2, 3))
    v = rng.standard_normal((2, 3))
    results = []
    for L in (ag, torch):
        wt = L.tensor(w, requires_grad=True)
        out = (L.tensor(xs) @ wt.T).softmax(-1).log().sum() + (wt.sigmoid() * wt).sum()
        (g,) = (ag.grad if L is ag else torch.autograd.grad)(out, wt, create_graph=True)
        (h,) = (ag.grad if L is ag else torch.autograd.grad)((g * L.tensor(v)).sum(), wt)
        results.append(h.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


def test_fused_kernel_backward_is_differentiable_under_create_graph():
    # relu/softmax/log_softmax/matmul/linear switch to differentiable formulas
    x = leaf([[0.3, -0.2, 0.5]])
    w = leaf([[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]])
    assert ag.gradgradcheck(lambda a, b: ag.linear(a, b).softmax(-1), (x, w))
    assert ag.gradgradcheck(lambda a: a.log_softmax(-1), (x,))
    assert ag.gradgradcheck(lambda a, b: (a @ b.T).relu() * a.sum(), (x, w))


# ------------------------------------------------------------------ ag.grad
def test_grad_does_not_touch_dot_grad():
    x = leaf([1.0, 2.0])
    (g,) = ag.grad((x * x).sum(), x)
    assert x.grad is None
    np.testing.assert_allclose(g.numpy(), [2, 4])
    assert not g.requires_grad


def test_grad_with_grad_outputs_and_multiple_outputs():
    x = leaf([1.0, 2.0])
    y1 = x * 2
    y2 = x * x
    gx = ag.grad([y1, y2], [x], grad_outputs=[ag.tensor([1.0, 1.0], dtype=ag.float64),
                                               ag.tensor([0.5, 2.0], dtype=ag.float64)])
    np.testing.assert_allclose(gx[0].numpy(), [2 + 1.0, 2 + 8.0])


def test_grad_allow_unused():
    x = leaf(1.0)
    z = leaf(2.0)
    y = x * 3
    with pytest.raises(RuntimeError, match="allow_unused"):
        ag.grad(y, [x, z], retain_graph=True)
    gx, gz = ag.grad(y, [x, z], allow_unused=True)
    assert gx.item() == 3.0 and gz is None


def test_grad_wrt_intermediate_tensor():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = ag.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())


def test_grad_input_must_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.grad(leaf(1.0) * 2, ag.tensor(1.0))


def test_grad_wrong_number_of_grad_outputs():
    x = leaf([1.0])
    with pytest.raises(RuntimeError):
        ag.grad([x * 2], [x], grad_outputs=[None, None])


def test_backward_inputs_argument_limits_accumulation():
    a = leaf(1.0)
    b = leaf(2.0)
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


# ----------------------------------------------------- hooks and retain_grad
def test_retain_grad_on_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6, 12])
    assert h.retains_grad


def test_non_leaf_grad_is_none_without_retain_grad():
    x = leaf([1.0])
    h = x * 2
    h.sum().backward()
    assert h.grad is None


def test_register_hook_on_leaf_and_intermediate_modifies_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    h = x * 2
    handle = h.register_hook(lambda g: g * 10)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20, 20])
    np.testing.assert_allclose(seen[0], [20, 20])
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 2])


def test_leaf_hook_sees_summed_gradient_once():
    x = leaf(2.0)
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * x + x).backward()
    assert calls == [5.0]


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError):
        ag.tensor([1.0]).register_hook(lambda g: g)


# ----------------------------------------------------------- version counters
def test_inplace_change_of_saved_tensor_raises_naming_the_op():
    x = leaf([1.0, 2.0])
    a = x * 1
    y = a * a
    a.add_(1)
    with pytest.raises(RuntimeError, match="MulBackward0.*version"):
        y.sum().backward()


def test_inplace_change_of_saved_output_raises():
    x = leaf([1.0, 2.0])
    y = x.exp()
    z = y.sum()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="inplace"):
        z.backward()


def test_version_counter_bumps_and_is_shared_with_views():
    x = ag.zeros(4)
    v = x[1:3]
    assert x._version == 0
    v += 1
    assert x._version == 1 and v._version == 1
    x._bump_version()
    assert v._version == 2
    np.testing.assert_allclose(x.numpy(), [0, 1, 1, 0])


def test_inplace_on_unsaved_input_is_fine():
    x = leaf([1.0, 2.0])
    a = x * 1
    y = a + 2        # add saves nothing
    a.mul_(3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1, 1])


# ---------------------------------------------------------- in-place in graph
def test_inplace_ops_inside_graph():
    x = leaf([1.0, 2.0])
    y = 3 * x
    y += 1
    y *= x
    y.sum().backward()
    xv = np.array([1, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), 6 * xv + 1)   # d/dx (3x + 1) x
    assert y.grad_fn is not None


def test_inplace_self_product_raises_like_torch():
    x = leaf([1.0, 2.0])
    y = 3 * x
    y *= y           # mul saved y, then y changed: PyTorch raises too
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()


def test_inplace_matches_torch(torch):
    results = []
    for L in (ag, torch):
        x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x * 2
        y.sub_(1).mul_(x).div_(2)
        y.clamp_(-1.0, 5.0)
        y.pow_(2)
        y[0] = x[1] * 4
        y.sum().backward()
        results.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)


def test_inplace_on_leaf_requiring_grad_raises_except_under_no_grad():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 5.0
    w.grad = ag.tensor([1.0, 1.0], dtype=ag.float64)
    with ag.no_grad():
        w -= 0.5 * w.grad
        w[1] = 7.0
    assert w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy(force=True) if False else w.detach().numpy(), [0.5, 7.0])


def test_setitem_with_grad_value_into_fresh_tensor():
    x = leaf([1.0, 2.0])
    buf = ag.zeros(3, dtype=ag.float64)
    buf[1:] = x * 2
    buf.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 2])


def test_assigning_grad():
    x = leaf([1.0, 2.0])
    x.grad = ag.tensor([3.0, 4.0], dtype=ag.float64)
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4, 5])
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError, match="size"):
        x.grad = ag.zeros(3, dtype=ag.float64)


def test_detach_shares_storage_and_cuts_graph():
    x = leaf([1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    d[0] = 9.0
    assert x.detach().numpy()[0] == 9.0
    y = (x * d).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [9.0, 2.0])


def test_multi_output_node_materializes_missing_gradients():
    x = leaf([[1.0, 5.0], [3.0, 2.0]])
    parts = x.split(1)
    parts[1].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0], [1, 1]])
    values, indices = x.max(1)
    values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1], [2, 1]])
    assert not indices.requires_grad


def test_inplace_on_views_inside_graph_matches_torch(torch):
    results = []
    for L in (ag, torch):
        x = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = x * 2
        y[0] += x[1]            # getitem, in-place on the view, setitem
        y[:, 1] *= 3
        v = y.T[2]
        v.mul_(5)               # a view of a view, no setitem afterwards
        (y * y).sum().backward()
        results.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])


def test_views_taken_before_an_inplace_change_follow_the_new_history(torch):
    """A view keeps no stale grad_fn when its base, a sibling view or an intermediate view
    changes in place (audit b #1); more cases in test_inplace_views.py."""
    def run(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        v, w, whole = y[0:2], y[1:], y.view(3)
        inner = v[0:1]
        y.mul_(3)                # base
        w.mul_(x[1:])            # sibling of v
        inner.mul_(5)            # view of the view v
        (v.sum() + 10 * whole.sum() + 100 * w.sum()).backward()
        return x.grad.numpy().copy(), v.detach().numpy().copy()
    for a, t in zip(run(ag), run(torch)):
        np.testing.assert_allclose(a, t)


def test_inplace_on_view_of_buffer_without_grad():
    x = leaf([1.0, 2.0])
    buf = ag.zeros(2, 2, dtype=ag.float64)
    row = buf[1]
    row += x
    assert buf.requires_grad and buf.grad_fn is not None
    (buf * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="view of a leaf"):
        w[0:1].mul_(2)


def test_second_backward_through_scalar_mul_raises_like_torch():
    """PyTorch saves the scalar of ``x * c`` and ``x / c``: a second backward raises; ``x + c``
    saves nothing and may be differentiated again."""
    for make in (lambda z: z * 2, lambda z: z / 2):
        z = ag.ones(3, requires_grad=True)
        s = make(z).sum()
        s.backward()
        with pytest.raises(RuntimeError, match="second time"):
            s.backward()
    z = ag.ones(3, requires_grad=True)
    s = (z + 2).sum()
    s.backward()
    s.backward()
    np.testing.assert_array_equal(z.grad.numpy(), [2.0, 2.0, 2.0])


def test_leaf_gradients_never_alias_other_arrays():
    """AccumulateGrad takes a fresh gradient array without copying only when nothing else can
    see it: gradients of different leaves, the user's `gradient` and arrays a hook kept stay
    independent."""
    a = ag.ones(3, requires_grad=True)
    b = ag.ones(3, requires_grad=True)
    (a + b).sum().backward()               # the same gradient flows to both leaves
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.numpy()[0] = 100.0
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0, 1.0])

    user = ag.ones(3) * 2
    c = ag.ones(3, requires_grad=True)
    c.backward(user)                       # a leaf's own backward with the user's gradient
    c.grad.numpy()[0] = 7.0
    np.testing.assert_array_equal(user.numpy(), [2.0, 2.0, 2.0])

    kept = []
    e = ag.ones(2, requires_grad=True)
    e.register_hook(lambda g: kept.append(g))
    (e * 3).sum().backward()
    e.grad.numpy()[0] = -1.0
    np.testing.assert_array_equal(kept[0].numpy(), [3.0, 3.0])

    f = ag.ones(2, requires_grad=True)
    (f * 2).sum().backward()
    first = f.grad
    (f * 3).sum().backward()               # accumulates in place into the same .grad
    assert f.grad is first
    np.testing.assert_array_equal(f.grad.numpy(), [5.0, 5.0])


def test_leaf_takes_a_fresh_gradient_array_without_copying():
    """AccumulateGrad's steal: a gradient array that only the engine holds becomes the
    leaf's .grad as is (a copy per parameter per step costs a full pass over it)."""
    import weakref

    made = []

    class Scale(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            out = grad.numpy() * 2       # a fresh array nothing else references
            made.append(weakref.ref(out))
            return ag.from_numpy(out)

    w = ag.ones(3, requires_grad=True)
    b = ag.ones(3, requires_grad=True)
    (Scale.apply(w) + b).sum().backward()   # w's gradient arrives with b's in the same pass
    assert made and made[0]() is not None
    assert w.grad.numpy() is made[0]()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])
