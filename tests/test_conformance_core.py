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


# ---------------------------------------------------------------------------
# nn, optim, data
# ---------------------------------------------------------------------------
def test_fused_linear_relu_second_order_reaches_the_bias(torch):
    """Sequential fuses Linear+ReLU; double backward must still give the bias its (zero)
    gradient, as the two layers apart and PyTorch do."""
    from autograd import nn

    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    x = ag.randn(5, 3, requires_grad=True)
    (g,) = ag.grad(model(x).sum(), x, create_graph=True)
    (g ** 2).sum().backward()
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        for theirs, ours in zip(reference.parameters(), model.parameters()):
            theirs.copy_(torch.from_numpy(ours.detach().numpy()))
    tx = torch.from_numpy(x.detach().numpy()).requires_grad_()
    (tg,) = torch.autograd.grad(reference(tx).sum(), tx, create_graph=True)
    (tg ** 2).sum().backward()
    for theirs, ours in zip(reference.parameters(), model.parameters()):
        assert (ours.grad is None) == (theirs.grad is None)
        if ours.grad is not None:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5,
                                       atol=1e-6)
    assert model[0].bias.grad is not None      # the first layer's: zeros, not None


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                          ("Adam", dict(lr=0.1)), ("AdamW", dict(lr=0.1)),
                                          ("RMSprop", dict(lr=0.1, momentum=0.5, centered=True))])
def test_optimizers_update_strided_parameters(name, kwargs, torch):
    """A transposed view made a Parameter is updated in place, as in PyTorch."""
    from autograd import nn

    rng = np.random.default_rng(0)
    base = rng.standard_normal((4, 3)).astype(np.float32)
    param = nn.Parameter(ag.tensor(base).T)
    reference = torch.nn.Parameter(torch.tensor(base).T)
    ours = getattr(ag.optim, name)([param], **kwargs)
    theirs = getattr(torch.optim, name)([reference], **kwargs)
    for _ in range(3):
        grad = rng.standard_normal((3, 4)).astype(np.float32)
        param.grad = ag.tensor(grad)
        reference.grad = torch.tensor(grad)
        ours.step()
        theirs.step()
    assert not param.detach().numpy().flags.c_contiguous   # still the same strided array
    np.testing.assert_allclose(param.detach().numpy(), reference.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_batchnorm_loads_a_state_dict_without_num_batches_tracked(torch):
    from autograd import nn

    state = {k: v.numpy() for k, v in torch.nn.BatchNorm1d(3).state_dict().items()
             if k != "num_batches_tracked"}
    layer = nn.BatchNorm1d(3)
    layer.num_batches_tracked.fill_(5)
    result = layer.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert layer.num_batches_tracked.item() == 5
    del state["running_mean"]
    with pytest.raises(RuntimeError, match='Missing key.*"running_mean"'):
        layer.load_state_dict(state)


@pytest.mark.parametrize("layer, functional", [
    (lambda: ag.nn.ReLU(inplace=True), lambda t: t.nn.ReLU(inplace=True)),
    (lambda: ag.nn.LeakyReLU(0.1, inplace=True), lambda t: t.nn.LeakyReLU(0.1, inplace=True)),
])
def test_inplace_activations_write_into_their_input(layer, functional, torch):
    x = ag.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    z = layer()(y)
    assert z is y
    (z * z).sum().backward()
    tx = torch.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    ty = tx * 2
    tz = functional(torch)(ty)
    (tz * tz).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    leaf = ag.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        ag.nn.functional.relu(leaf, inplace=True)


def test_inplace_dropout():
    ag.manual_seed(0)
    y = ag.ones(1000)
    out = ag.nn.functional.dropout(y, 0.5, inplace=True)
    assert out is y
    values = set(np.unique(y.numpy()).tolist())
    assert values == {0.0, 2.0}


def test_tensor_dataset_batches_like_pytorch():
    ds = ag.data.TensorDataset(ag.arange(10.0).reshape(5, 2), ag.tensor([0, 1, 2, 3, 4]))
    assert ds[1:3][1].tolist() == [1, 2]
    assert ds[[0, 4]][1].tolist() == [0, 4]
    assert ds[ag.tensor([1, 2])][1].tolist() == [1, 2]
    assert ds[ag.tensor(2)][1].item() == 2
    with pytest.raises(AssertionError, match="Size mismatch"):
        ag.data.TensorDataset(ag.ones(2), ag.ones(3))


def test_dataloader_takes_pytorch_arguments():
    ds = ag.data.TensorDataset(ag.arange(10.0).reshape(5, 2), ag.tensor([0, 1, 2, 3, 4]))
    loader = ag.data.DataLoader(ds, batch_size=2, num_workers=0, pin_memory=False,
                                sampler=[4, 3, 2, 1, 0], timeout=0, persistent_workers=False)
    assert len(loader) == 3 and [b[1].tolist() for b in loader] == [[4, 3], [2, 1], [0]]
    loader = ag.data.DataLoader(ds, batch_sampler=[[0, 1], [4]])
    assert len(loader) == 2 and [b[1].tolist() for b in loader] == [[0, 1], [4]]
    loader = ag.data.DataLoader(ds, batch_size=None)
    first = next(iter(loader))
    assert len(loader) == 5 and first[0].shape == (2,) and first[1].item() == 0
    # positional drop_last, as in PyTorch's signature
    assert len(ag.data.DataLoader(ds, 2, False, None, None, 0, None, False, True)) == 2
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        ag.data.DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        ag.data.DataLoader(ds, batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="num_workers"):
        ag.data.DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="drop_last"):
        ag.data.DataLoader(ds, batch_size=None, drop_last=True)


def test_load_takes_weights_only_and_device_objects(tmp_path, torch):
    path = tmp_path / "state.agz"
    ag.save({"w": ag.ones(2)}, path)
    state = ag.load(path, map_location=torch.device("cpu"), weights_only=True)
    assert state["w"].tolist() == [1.0, 1.0]


def test_set_num_threads_zero_is_a_runtime_error_too():
    with pytest.raises(RuntimeError, match="positive"):
        ag.set_num_threads(0)
    with pytest.raises(ValueError, match="positive"):
        ag.set_num_threads(0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_gradient_at_nan_passes_like_pytorch(dtype, torch):
    """PyTorch zeroes ReLU's gradient where the input is <= 0, so NaN passes it; the fused
    Linear+ReLU of Sequential does the same."""
    values = [float("nan"), -1.0, 0.0, 2.0]
    x = ag.tensor(values, dtype=getattr(ag, dtype), requires_grad=True)
    ag.relu(x).sum().backward()
    tx = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    torch.relu(tx).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    (g,) = ag.grad(ag.relu(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), tx.grad.numpy())
    from autograd import nn

    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    batch = np.array([[float("nan"), 1.0], [1.0, 2.0]], dtype=np.float32)
    model(ag.tensor(batch)).sum().backward()
    reference = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with torch.no_grad():
        for theirs, ours in zip(reference.parameters(), model.parameters()):
            theirs.copy_(torch.from_numpy(ours.detach().numpy()))
    reference(torch.from_numpy(batch)).sum().backward()
    np.testing.assert_allclose(model[0].bias.grad.numpy(), reference[0].bias.grad.numpy(),
                               rtol=1e-6)


def test_needs_input_grad_under_no_grad_says_which_inputs_require_grad():
    seen = []

    class Scale(ag.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            seen.append(ctx.needs_input_grad)
            return a * c

        @staticmethod
        def backward(ctx, grad):
            return grad, None, None

    a = ag.ones(2, requires_grad=True)
    with ag.no_grad():
        Scale.apply(a, ag.ones(2), 2.0)
    assert seen == [(True, False, False)]


def test_a_custom_gradient_of_the_wrong_shape_names_its_shape():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return ag.ones(3)

    a = ag.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"got \[3\] but expected shape compatible with \[2, 2\]"):
        Bad.apply(a).sum().backward()


def test_sign_of_nan_is_zero_and_abs_gradient_at_nan_is_zero(torch):
    values = [float("nan"), -2.0, 0.0, 3.0]
    x = ag.tensor(values, requires_grad=True)
    x.abs().sum().backward()
    tx = torch.tensor(values, requires_grad=True)
    tx.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(ag.sign(ag.tensor(values)).numpy(),
                                  torch.sign(torch.tensor(values)).numpy())


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_gradients_of_0d_parameters_are_arrays_that_zero_grad_clears(name, torch):
    """0-d NumPy operations return NumPy scalars; a 0-d parameter's gradient must still be
    an array, or zero_grad(set_to_none=False) silently keeps the old gradient (and the
    fused optimizer kernels reject it)."""
    temp = ag.nn.Parameter(ag.tensor(1.5))
    weights = ag.nn.Parameter(ag.tensor([0.5, -0.5]))
    ttemp = torch.nn.Parameter(torch.tensor(1.5))
    tweights = torch.nn.Parameter(torch.tensor([0.5, -0.5]))
    ours = getattr(ag.optim, name)([temp, weights], lr=0.1)
    theirs = getattr(torch.optim, name)([ttemp, tweights], lr=0.1)
    for _ in range(3):
        ours.zero_grad(set_to_none=False)
        theirs.zero_grad(set_to_none=False)
        (((weights * temp).sum() - 1) ** 2 + temp * temp).backward()
        (((tweights * ttemp).sum() - 1) ** 2 + ttemp * ttemp).backward()
        ours.step()
        theirs.step()
    assert isinstance(temp.grad.numpy(), np.ndarray)
    np.testing.assert_allclose(temp.item(), ttemp.item(), rtol=1e-6)
    np.testing.assert_allclose(weights.detach().numpy(), tweights.detach().numpy(), rtol=1e-6)
    w = ag.tensor(1.5, requires_grad=True)
    (w * w).backward()
    w.grad.zero_()
    assert w.grad.item() == 0.0
    (g,) = ag.grad(w * w, w)
    assert isinstance(g.numpy(), np.ndarray)
    v = w * 2
    v.retain_grad()
    (v * v).backward()
    assert isinstance(v.grad.numpy(), np.ndarray)


def test_int_tensor_against_a_python_float_compares_in_float32(torch):
    for op in ("__eq__", "__lt__", "__ge__"):
        got = getattr(ag.tensor([16777217, 3]), op)(16777216.0)
        want = getattr(torch.tensor([16777217, 3]), op)(16777216.0)
        assert got.tolist() == want.tolist()
    assert (16777216.0 == ag.tensor([16777217])).tolist() == [True]
    result = ag.tensor(0.5) > ag.tensor(2.0)
    assert isinstance(result.numpy(), np.ndarray) and result.dtype == ag.bool


def test_dataloader_reads_an_endless_sampler_lazily():
    import itertools

    class Endless:
        def __iter__(self):
            return itertools.cycle([4, 3, 2, 1, 0])

    ds = ag.data.TensorDataset(ag.arange(10.0).reshape(5, 2), ag.tensor([0, 1, 2, 3, 4]))
    seen = []
    for i, (_, labels) in enumerate(ag.data.DataLoader(ds, batch_size=4, sampler=Endless())):
        seen.append(labels.tolist())
        if i == 2:
            break
    assert seen == [[4, 3, 2, 1], [0, 4, 3, 2], [1, 0, 4, 3]]
    loader = ag.data.DataLoader(ds, batch_size=2, sampler=[4, 3, 2], drop_last=True)
    assert [b[1].tolist() for b in loader] == [[4, 3]]


def test_view_as_another_dtype_reinterprets_the_bits(torch):
    values = [1.5, -2.0, 0.25, 8.0]
    got = ag.tensor(values).view(ag.int32)
    want = torch.tensor(values).view(torch.int32)
    assert got.dtype == ag.int32 and got.tolist() == want.tolist()
    assert ag.tensor(values).view(ag.float64).shape == tuple(torch.tensor(values).view(torch.float64).shape)
    x = ag.tensor(values)
    y = x.view(ag.int32)
    y[0] = 0                                      # shares memory, as a view
    assert x.tolist()[0] == 0.0
    leaf = ag.ones(2, requires_grad=True)
    assert leaf.view(ag.float32).requires_grad    # same dtype: an ordinary view
    with pytest.raises(RuntimeError, match="not differentiable"):
        leaf.view(ag.int32)
    assert ag.ones(2, 3).view(size=(3, 2)).shape == (3, 2)


def test_node_names_follow_pytorch(torch):
    """grad_fn names as PyTorch gives them, for ops that share an implementation here."""
    values = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    x = ag.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    cases = {
        "x - 1": lambda x, lib: x - 1,
        "x[0]": lambda x, lib: x[0],
        "x[None]": lambda x, lib: x[None],
        "x[:, 0]": lambda x, lib: x[:, 0],
        "x[0, 1:]": lambda x, lib: x[0, 1:],
        "sum(0)": lambda x, lib: x.sum(0),
        "mean()": lambda x, lib: x.mean(),
        "mean(0)": lambda x, lib: x.mean(0),
        "var()": lambda x, lib: x.var(),
        "norm()": lambda x, lib: x.norm(),
        "logsumexp": lambda x, lib: x.logsumexp(0),
        "transpose": lambda x, lib: x.transpose(0, 1),
        "unsqueeze": lambda x, lib: x.unsqueeze(0),
        "squeeze()": lambda x, lib: x[None].squeeze(),
        "squeeze(0)": lambda x, lib: x[None].squeeze(0),
        "dot": lambda x, lib: x[0] @ x[1],
        "mv": lambda x, lib: x @ x[0],
        "mm": lambda x, lib: x @ x.T,
        "square": lambda x, lib: x.square(),
        "stack": lambda x, lib: lib.stack([x, x]),
    }
    for name, make in cases.items():
        assert make(x, ag).grad_fn.name() == make(t, torch).grad_fn.name(), name
    # the renamed nodes still differentiate as before
    (x[0] @ x[1] + x.mean(0).sum() + x.var() + x.transpose(0, 1).square().sum()).backward()
    (t[0] @ t[1] + t.mean(0).sum() + t.var() + t.transpose(0, 1).square().sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_binary_ops_take_pytorchs_keyword_names(torch):
    x = ag.tensor([1.0, 2.0])
    tx = torch.tensor([1.0, 2.0])
    for name in ("add", "sub", "mul", "div", "eq", "ne", "lt", "le", "gt", "ge"):
        ours = getattr(ag, name)(input=x, other=x * 2)
        theirs = getattr(torch, name)(input=tx, other=tx * 2)
        assert ours.tolist() == theirs.tolist(), name
        assert getattr(x, name)(other=x * 2).tolist() == theirs.tolist(), name
    assert ag.add(x, x, alpha=2).tolist() == torch.add(tx, tx, alpha=2).tolist()
    assert ag.remainder(input=ag.tensor([5]), other=3).tolist() == [2]
    assert ag.floor_divide(input=ag.tensor([5]), other=2).tolist() == [2]


@pytest.mark.parametrize("data", [2 ** 70, [2 ** 70], [-(2 ** 70)], [2 ** 63]])
def test_tensor_of_an_int_beyond_int64_raises_like_pytorch(data):
    with pytest.raises(ValueError, match="Overflow"):
        ag.tensor(data)


def test_tensor_with_none_cannot_infer_a_dtype():
    with pytest.raises(RuntimeError, match="Could not infer dtype of NoneType"):
        ag.tensor([1, None])
    assert ag.tensor([2 ** 63 - 1]).tolist() == [2 ** 63 - 1]


def test_empty_products_and_shapes_as_pytorch(torch):
    assert (ag.zeros(2, 3, 0) @ ag.zeros(0, 4)).tolist() == torch.zeros(2, 3, 4).tolist()
    assert ag.matmul(ag.zeros(2, 3, 0), ag.zeros(0)).shape == (2, 3)
    a = ag.zeros(2, 0, 3, requires_grad=True)
    b = ag.zeros(3, 0, requires_grad=True)
    (a @ b).sum().backward()
    assert a.grad.shape == (2, 0, 3) and b.grad.shape == (3, 0)
    assert (ag.zeros(0, 3, dtype=ag.int64) // 0).shape == (0, 3)
    assert (ag.zeros(0, 3, dtype=ag.int64) % 0).shape == (0, 3)
    with pytest.raises(RuntimeError, match="division by zero"):
        ag.tensor([1, 2]) // 0
    assert [p.shape for p in ag.zeros(0, 3).chunk(2)] == [(0, 3), (0, 3)]
    assert ag.tensor(5.0).flatten(-1).shape == (1,)
    with pytest.raises(IndexError, match="out of range"):
        ag.tensor(5.0).flatten(1)
    with pytest.raises(TypeError, match="must be Tensor"):
        ag.ones(2) @ 2
    with pytest.raises(TypeError):
        2 @ ag.ones(2)


def test_repr_matches_pytorch_layout(torch):
    """Printing follows PyTorch's layout: elements per line from the width, summarized
    large tensors formatted from the values shown, suffixes wrapped past 80 columns."""
    rng = np.random.default_rng(0)
    cases = [np.arange(24.0).reshape(2, 12) * 1.5, np.zeros((4, 30)), np.zeros(5),
             np.arange(120).reshape(3, 40) * 1000, rng.standard_normal((5, 20)),
             np.arange(30.0) * 1.5, rng.standard_normal((50, 50)).astype(np.float32),
             rng.standard_normal((10, 10, 20)).astype(np.float32),
             np.array([np.nan, np.inf, -1.0], dtype=np.float32), np.arange(5000).reshape(50, 100),
             np.array([1e-8, 1e8], dtype=np.float32), np.array([[0.0, 0.5], [1e-5, 3.0]]),
             np.array(3.5, dtype=np.float32), np.array([True, False]), np.zeros(0, dtype=bool)]
    for values in cases:
        for requires_grad in ((False, True) if values.dtype.kind == "f" else (False,)):
            ours = repr(ag.tensor(values, requires_grad=requires_grad))
            theirs = repr(torch.tensor(values, requires_grad=requires_grad))
            assert ours.replace("autograd.", "torch.") == theirs
    big = np.full(2000, 1.5, dtype=np.float32)
    big[1000] = 1e-6                                # not shown, so not in the format
    assert repr(ag.tensor(big)) == repr(torch.tensor(big))
    assert repr(ag.ones(1).expand(10 ** 10)) == "tensor([1., 1., 1.,  ..., 1., 1., 1.])"


@pytest.mark.parametrize("make", [lambda: ag.zeros(10 ** 6, 10 ** 6), lambda: ag.zeros(2 ** 63 - 1),
                                  lambda: ag.randn(10 ** 6, 10 ** 6),
                                  lambda: ag.full((10 ** 6, 10 ** 6), 1.0)])
def test_a_tensor_too_large_to_allocate_is_a_runtime_error(make):
    with pytest.raises(RuntimeError, match="allocate|overflowed"):
        make()


@pytest.mark.parametrize("call", [lambda: ag.linspace(0, 1, "a"), lambda: ag.eye("a"),
                                  lambda: ag.eye(2.5), lambda: ag.full_like(ag.ones(3), "a"),
                                  lambda: ag.nn.Dropout("a"),
                                  lambda: ag.nn.functional.dropout(ag.ones(2), "a"),
                                  lambda: ag.ones(2).requires_grad_("a")])
def test_wrong_argument_types_are_type_errors(call):
    with pytest.raises(TypeError):
        call()


def test_dropout_probability_nan_is_rejected():
    with pytest.raises(ValueError, match="between 0 and 1"):
        ag.nn.Dropout(float("nan"))
    with pytest.raises(ValueError, match="between 0 and 1"):
        ag.nn.functional.dropout(ag.ones(2), float("nan"))


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss"])
def test_a_loss_shape_error_names_the_loss_and_both_shapes(loss):
    with pytest.raises(RuntimeError, match=rf"{loss}.*\(4, 3\).*\(4, 2\)"):
        getattr(ag.nn.functional, loss)(ag.ones(4, 3), ag.ones(4, 2))
    with pytest.warns(UserWarning, match="different to the input size"):
        getattr(ag.nn.functional, loss)(ag.ones(4, 3), ag.ones(3))


def test_split_and_layernorm_reject_non_int_sizes():
    with pytest.raises(TypeError):
        ag.ones(4).split("a")
    with pytest.raises(TypeError):
        ag.nn.LayerNorm("a")
    assert [t.shape for t in ag.ones(5).split([2, 3])] == [(2,), (3,)]
