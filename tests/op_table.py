"""The op table the op tests are driven by, and the harness that checks one row.

A row names an op, a function ``fn(L, *inputs)`` written once for both
libraries (``L`` is ``autograd`` or ``torch``), the input shapes it is
checked on (broadcasting, 0-d, empty cases), the input domain, and whether
double backward is claimed.  :func:`check_row` checks, for one shape case:

* forward values against PyTorch (when importable) in float64,
* gradients against PyTorch for a random upstream gradient,
* ``ag.gradcheck`` (float64 central differences),
* ``ag.gradgradcheck`` when the row claims double backward,

optionally on non-contiguous (transposed) leaf inputs.
"""

import dataclasses
import math
from typing import Callable, Optional

import numpy as np

import autograd as ag


def F(L):
    """The functional namespace: ``torch.nn.functional`` or ``autograd.ops``."""
    if L is ag:
        return ag.ops
    return L.nn.functional


@dataclasses.dataclass
class Row:
    name: str
    fn: Callable
    shapes: list
    domain: object = "real"          # one domain for all inputs, or a tuple per input
    gradgrad: bool = True
    torch_fn: Optional[Callable] = None
    noncontig: bool = True           # also run on transposed (non-contiguous) leaves
    rtol: float = 1e-6
    atol: float = 1e-8

    def ids(self):
        return [f"{self.name}-{'x'.join(str(s) for s in case) or 'scalar'}"
                for case in self.shapes]


UNARY = [((2, 3),), ((3,),), ((),), ((0, 3),)]
BINARY = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((3,), ()),
          ((2, 1, 3), (4, 1)), ((0, 3), (3,))]


def make_array(rng, shape, domain):
    """Random float64 data of ``shape`` in ``domain``, away from kinks and poles."""
    if domain == "real":
        a = rng.standard_normal(shape)
        a = np.where(np.abs(a) < 0.05, a + 0.2, a)
    elif domain == "positive":
        a = rng.uniform(0.5, 2.0, shape)
    elif domain == "unit":
        a = rng.uniform(-0.9, 0.9, shape)
    elif domain == "nonzero":
        a = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    elif domain == "distinct":
        n = int(np.prod(shape)) if shape else 1
        a = (rng.permutation(n).astype(np.float64) * 0.37 + rng.uniform(0, 0.1)).reshape(shape)
    elif domain == "powbase":
        a = rng.uniform(0.5, 2.0, shape)
    else:
        raise ValueError(domain)
    return np.asarray(a, dtype=np.float64)


def _domains(row, n):
    d = row.domain
    return d if isinstance(d, tuple) else (d,) * n


def _leaf_ag(arr, noncontig):
    if noncontig and arr.ndim >= 1:
        # a strided view (every other element of a wider buffer): same values,
        # non-contiguous memory
        buf = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],))
        buf[..., ::2] = arr
        leaf = ag.Tensor._make(buf[..., ::2], ag.tensor(0.0)._backend)
        return leaf.requires_grad_()
    return ag.tensor(arr, requires_grad=True)


def _flatten_outputs(out):
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


def _upstream(rng, outs):
    return [rng.standard_normal(o.shape) for o in outs]


def check_row(row, case, torch=None, noncontig=False, seed=0, gradgrad=True):
    """Check one row on one shape case (see the module docstring)."""
    rng = np.random.default_rng(seed)
    arrays = [make_array(rng, s, d) for s, d in zip(case, _domains(row, len(case)))]
    xs = [_leaf_ag(a, noncontig) for a in arrays]
    outs = _flatten_outputs(row.fn(ag, *xs))
    float_outs = [o for o in outs if o.dtype.kind == "f"]
    ups = _upstream(rng, float_outs)
    if float_outs and any(o.requires_grad for o in float_outs):
        pairs = [(o, u) for o, u in zip(float_outs, ups) if o.requires_grad]
        loss = sum((o * ag.tensor(u)).sum() for o, u in pairs)
        grads = ag.grad(loss, xs, allow_unused=True)
    else:
        grads = [None] * len(xs)

    if torch is not None:
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
        tfn = row.torch_fn or row.fn
        touts = _flatten_outputs(tfn(torch, *ts))
        assert len(touts) == len(outs), f"{row.name}: number of outputs differs"
        for o, to in zip(outs, touts):
            assert tuple(o.shape) == tuple(to.shape), \
                f"{row.name}: shape {o.shape} vs torch {tuple(to.shape)}"
            np.testing.assert_allclose(o.detach().numpy(), to.detach().numpy(), rtol=row.rtol,
                                       atol=row.atol, err_msg=f"{row.name} forward")
        tfloat = [to for to in touts if to.is_floating_point()]
        tpairs = [(to, u) for to, u in zip(tfloat, ups) if to.requires_grad]
        if tpairs:
            tloss = sum((to * torch.tensor(u)).sum() for to, u in tpairs)
            tgrads = torch.autograd.grad(tloss, ts, allow_unused=True)
            for i, (g, tg) in enumerate(zip(grads, tgrads)):
                if tg is None:
                    assert g is None or np.all(g.numpy() == 0), \
                        f"{row.name}: input {i} has a gradient but torch has none"
                    continue
                assert g is not None, f"{row.name}: input {i} got no gradient"
                np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=row.rtol,
                                           atol=max(row.atol, 1e-7),
                                           err_msg=f"{row.name} gradient of input {i}")

    if any(o.requires_grad for o in float_outs):
        assert ag.gradcheck(lambda *a: row.fn(ag, *a), tuple(xs), eps=1e-6, atol=1e-5,
                            rtol=1e-3)
        if row.gradgrad and gradgrad:
            assert ag.gradgradcheck(lambda *a: row.fn(ag, *a), tuple(xs), eps=1e-6, atol=1e-5,
                                    rtol=1e-3)


def params(rows):
    """pytest parametrization over (row, shape case)."""
    out = []
    ids = []
    for row in rows:
        for case, case_id in zip(row.shapes, row.ids()):
            out.append((row, case))
            ids.append(case_id)
    return out, ids



def _torch_or_none():
    try:
        import torch
    except ImportError:  # the PyTorch comparison is optional; the gradchecks are not
        return None
    return torch


def table_tests(rows):
    """The two table-driven tests of a family of ops, for a test module to bind by name.

    ``test_op`` checks every (row, shape case): forward and gradients against PyTorch
    (float64, skipped without torch), gradcheck, and gradgradcheck where claimed.
    ``test_op_noncontiguous`` repeats it on transposed (non-contiguous) leaves.
    """
    import pytest

    cases, ids = params(rows)
    strided = [(i, rc) for i, rc in zip(ids, cases)
               if rc[0].noncontig and any(len(s) >= 1 for s in rc[1])]

    @pytest.mark.parametrize("row,case", cases, ids=ids)
    def test_op(row, case):
        check_row(row, case, torch=_torch_or_none())

    @pytest.mark.parametrize("row,case", [rc for _, rc in strided], ids=[i for i, _ in strided])
    def test_op_noncontiguous(row, case):
        check_row(row, case, torch=_torch_or_none(), noncontig=True, seed=1, gradgrad=False)

    return test_op, test_op_noncontiguous

# ----------------------------------------------------------------------
# the rows
# ----------------------------------------------------------------------
ELEMENTWISE = [
    Row("add", lambda L, a, b: a + b, BINARY),
    Row("add_alpha", lambda L, a, b: L.add(a, b, alpha=2.5), BINARY[:3]),
    Row("sub", lambda L, a, b: a - b, BINARY),
    Row("mul", lambda L, a, b: a * b, BINARY),
    Row("div", lambda L, a, b: a / b, BINARY, domain=("real", "nonzero")),
    Row("pow_tensor", lambda L, a, b: a ** b, BINARY[:6], domain=("positive", "real")),
    Row("maximum", lambda L, a, b: L.maximum(a, b), BINARY),
    Row("minimum", lambda L, a, b: L.minimum(a, b), BINARY),
    Row("remainder", lambda L, a, b: a % b, BINARY[:5], domain=("positive", "positive"),
        gradgrad=False),
    Row("where", lambda L, a, b: L.where(a > 0, a, b), BINARY),
    Row("where_method", lambda L, a, b: a.where(b > 0, b), BINARY[:3]),
    Row("radd_scalar", lambda L, x: 2.5 + x, UNARY),
    Row("rsub_scalar", lambda L, x: 2.5 - x, UNARY),
    Row("rmul_scalar", lambda L, x: 3 * x, UNARY),
    Row("rdiv_scalar", lambda L, x: 2.0 / x, UNARY, domain="nonzero"),
    Row("div_scalar", lambda L, x: x / 4, UNARY),
    Row("pow_scalar", lambda L, x: x ** 3, UNARY),
    Row("pow_frac", lambda L, x: x ** 0.5, UNARY, domain="positive"),
    Row("pow_neg", lambda L, x: x ** -2, UNARY, domain="nonzero"),
    Row("rpow_scalar", lambda L, x: 2.0 ** x, UNARY),
    Row("neg", lambda L, x: -x, UNARY),
    Row("exp", lambda L, x: L.exp(x), UNARY),
    Row("log", lambda L, x: L.log(x), UNARY, domain="positive"),
    Row("log1p", lambda L, x: L.log1p(x), UNARY, domain="positive"),
    Row("expm1", lambda L, x: L.expm1(x), UNARY),
    Row("sqrt", lambda L, x: L.sqrt(x), UNARY, domain="positive"),
    Row("rsqrt", lambda L, x: L.rsqrt(x), UNARY, domain="positive"),
    Row("sin", lambda L, x: L.sin(x), UNARY),
    Row("cos", lambda L, x: L.cos(x), UNARY),
    Row("tanh", lambda L, x: L.tanh(x), UNARY),
    Row("sigmoid", lambda L, x: L.sigmoid(x), UNARY),
    Row("relu", lambda L, x: L.relu(x), UNARY),
    Row("abs", lambda L, x: L.abs(x), UNARY),
    Row("sign", lambda L, x: L.sign(x) * x, UNARY),
    Row("reciprocal", lambda L, x: L.reciprocal(x), UNARY, domain="nonzero"),
    Row("square", lambda L, x: L.square(x), UNARY),
    Row("clamp", lambda L, x: L.clamp(x, -0.5, 0.7), UNARY),
    Row("clamp_min", lambda L, x: x.clamp(min=0.1), UNARY),
    Row("clamp_max", lambda L, x: x.clamp(max=0.1), UNARY),
    Row("neg_method", lambda L, x: x.neg(), UNARY),
    Row("clamp_tensor", lambda L, a, b: L.clamp(a, min=b, max=b + 1.0), BINARY[:4]),
    Row("where_scalar", lambda L, x: L.where(x > 0, x, 2.0), UNARY),
    Row("rsub_tensor", lambda L, a, b: 1 - a * b, BINARY[:3]),
]

REDUCTION = [
    Row("sum_all", lambda L, x: x.sum(), UNARY),
    Row("sum_dim", lambda L, x: x.sum(0), [((2, 3),), ((3,),), ((0, 3),)]),
    Row("sum_neg_keep", lambda L, x: x.sum(-1, keepdim=True), [((2, 3),), ((2, 3, 2),)]),
    Row("sum_tuple", lambda L, x: x.sum((0, 2)), [((2, 3, 2),)]),
    Row("mean_all", lambda L, x: x.mean(), [((2, 3),), ((3,),), ((),)]),
    Row("mean_dim", lambda L, x: x.mean(1, keepdim=True), [((2, 3),), ((2, 3, 2),)]),
    Row("var_all", lambda L, x: x.var(), [((2, 3),), ((4,),)]),
    Row("var_dim_biased", lambda L, x: x.var(1, unbiased=False), [((2, 3),), ((2, 3, 2),)]),
    Row("var_correction", lambda L, x: x.var(0, correction=2, keepdim=True), [((4, 3),)]),
    Row("std_all", lambda L, x: x.std(), [((2, 3),), ((4,),)]),
    Row("std_dim", lambda L, x: x.std(0, keepdim=True), [((3, 2),), ((3, 2, 2),)]),
    Row("std_correction0", lambda L, x: L.std(x, 1, correction=0), [((3, 4),)]),
    Row("logsumexp_tuple", lambda L, x: L.logsumexp(x, (0, 1)), [((3, 4),)]),
    Row("amax_tuple", lambda L, x: x.amax((0, 1)), [((3, 4),)], domain="distinct"),
    Row("mean_tuple_keep", lambda L, x: x.mean((0, 1), keepdim=True), [((3, 4),)]),
    Row("prod_all", lambda L, x: x.prod(), [((2, 3),), ((3,),), ((),)], domain="nonzero"),
    Row("prod_dim", lambda L, x: x.prod(1), [((2, 3),), ((2, 3, 2),)], domain="nonzero"),
    Row("prod_keep", lambda L, x: x.prod(0, keepdim=True), [((3, 2),)], domain="nonzero"),
    Row("logsumexp", lambda L, x: L.logsumexp(x, 1), [((2, 3),), ((2, 3, 2),)]),
    Row("logsumexp_keep", lambda L, x: x.logsumexp(0, keepdim=True), [((3, 2),), ((4,),)]),
    Row("norm", lambda L, x: x.norm(), [((2, 3),), ((3,),)]),
    Row("norm_dim", lambda L, x: x.norm(dim=1, keepdim=True), [((2, 3),)]),
    Row("norm_p1", lambda L, x: x.norm(p=1), [((2, 3),)]),
    Row("norm_p3", lambda L, x: x.norm(p=3, dim=0), [((2, 3),)]),
    Row("norm_inf", lambda L, x: x.norm(p=math.inf), [((2, 3),)], domain="distinct"),
    Row("max_all", lambda L, x: x.max(), [((2, 3),), ((3,),), ((),)], domain="distinct"),
    Row("min_all", lambda L, x: x.min(), [((2, 3),), ((3,),)], domain="distinct"),
    Row("max_dim", lambda L, x: x.max(1), [((2, 3),), ((2, 3, 2),)], domain="distinct"),
    Row("min_dim_keep", lambda L, x: x.min(0, keepdim=True), [((3, 2),)], domain="distinct"),
    Row("max_values", lambda L, x: x.max(dim=-1).values, [((2, 3),)], domain="distinct"),
    Row("amax", lambda L, x: x.amax(1), [((2, 3),)], domain="distinct"),
    Row("argmax", lambda L, x: (x.argmax(), x.argmax(1), x.argmin(0, keepdim=True)),
        [((2, 3),)], domain="distinct"),
]

SHAPE = [
    Row("reshape", lambda L, x: x.reshape(3, 2), [((2, 3),), ((6,),)]),
    Row("reshape_infer", lambda L, x: x.reshape(-1), [((2, 3),), ((),)]),
    Row("view", lambda L, x: x.view(2, 3).view(-1, 1), [((6,),)]),
    Row("flatten", lambda L, x: x.flatten(), [((2, 3, 2),), ((),)]),
    Row("flatten_range", lambda L, x: x.flatten(1, 2), [((2, 3, 2),)]),
    Row("squeeze", lambda L, x: x.squeeze(), [((1, 3, 1),)]),
    Row("squeeze_dim", lambda L, x: x.squeeze(0), [((1, 3),), ((2, 3),)]),
    Row("squeeze_tuple", lambda L, x: x.unsqueeze(0).unsqueeze(2).squeeze((0, 2)),
        [((3, 4),)]),
    Row("unsqueeze", lambda L, x: x.unsqueeze(1), [((2, 3),)]),
    Row("unsqueeze_0d", lambda L, x: x.unsqueeze(0), [((),), ((3,),)]),
    Row("unsqueeze_neg", lambda L, x: x.unsqueeze(-1), [((2, 3),)]),
    Row("transpose", lambda L, x: x.transpose(0, 1), [((2, 3),), ((2, 3, 2),)]),
    Row("T", lambda L, x: x.T, [((2, 3),)]),
    Row("mT", lambda L, x: x.mT, [((2, 3, 2),)]),
    Row("permute", lambda L, x: x.permute(2, 0, 1), [((2, 3, 2),)]),
    Row("expand", lambda L, x: x.expand(2, 3), [((1, 3),), ((3,),)]),
    Row("expand_neg", lambda L, x: x.expand(4, -1, 3), [((2, 1),)]),
    Row("broadcast_to", lambda L, x: L.broadcast_to(x, (2, 2, 3)), [((3,),), ((2, 1, 3),)]),
    Row("repeat", lambda L, x: x.repeat(2, 3), [((2, 3),), ((3,),)]),
    Row("repeat_lead", lambda L, x: x.repeat(2, 1, 2), [((2, 3),)]),
    Row("cat", lambda L, a, b: L.cat([a, b], 0), [((2, 3), (1, 3)), ((2,), (3,))]),
    Row("cat_dim1", lambda L, a, b: L.cat([a, b, a], dim=1), [((2, 3), (2, 1))]),
    Row("stack", lambda L, a, b: L.stack([a, b]), [((2, 3), (2, 3)), ((), ())]),
    Row("stack_dim", lambda L, a, b: L.stack([a, b], dim=-1), [((2, 3), (2, 3))]),
    Row("split", lambda L, x: x.split(2), [((5, 2),)]),
    Row("split_sizes", lambda L, x: x.split([1, 2], dim=1), [((2, 3),)]),
    Row("chunk", lambda L, x: x.chunk(3), [((5, 2),), ((6,),)]),
    Row("flip", lambda L, x: x.flip(0), [((2, 3),), ((3,),)]),
    Row("flip_many", lambda L, x: x.flip(0, 1), [((2, 3),)]),
    Row("contiguous", lambda L, x: x.transpose(0, 1).contiguous() * 1, [((2, 3),)]),
    Row("clone", lambda L, x: x.clone(), [((2, 3),), ((),)]),
]

INDEXING = [
    Row("index_int", lambda L, x: x[1], [((3, 2),)]),
    Row("index_neg", lambda L, x: x[-1, 0], [((3, 2),)]),
    Row("index_slice", lambda L, x: x[1:], [((3, 2),)]),
    Row("index_step", lambda L, x: x[::2, 1:], [((5, 3),)]),
    Row("index_none", lambda L, x: x[None, :, None], [((3, 2),)]),
    Row("index_ellipsis", lambda L, x: x[..., 1], [((2, 3, 2),)]),
    Row("index_array", lambda L, x: x[[0, 2, 0]], [((3, 2),)]),
    Row("index_array_repeat", lambda L, x: x[:, [1, 1, 0, 1]], [((2, 3),)]),
    Row("index_tensor", lambda L, x: x[L.tensor([2, 0, 2])], [((3, 2),)]),
    Row("index_2arrays", lambda L, x: x[[0, 1, 1], [2, 0, 0]], [((2, 3),)]),
    Row("index_mask", lambda L, x: x[x > 0], [((2, 3),), ((4,),)]),
    Row("index_mask_rows", lambda L, x: x[L.tensor([True, False, True])], [((3, 2),)]),
    Row("index_mixed", lambda L, x: x[1:, [0, 0]], [((3, 2),)]),
    Row("gather", lambda L, x: x.gather(1, L.tensor([[0, 0, 2], [1, 1, 1]])), [((2, 3),)]),
    Row("narrow_select", lambda L, x: x.narrow(1, 1, 2) * x.select(0, 1).sum(),
        [((2, 3),)]),
]

LINALG = [
    Row("matmul_2d", lambda L, a, b: a @ b, [((2, 3), (3, 4))]),
    Row("matmul_1d_1d", lambda L, a, b: L.matmul(a, b), [((3,), (3,))]),
    Row("matmul_2d_1d", lambda L, a, b: a @ b, [((2, 3), (3,))]),
    Row("matmul_1d_2d", lambda L, a, b: a @ b, [((3,), (3, 2))]),
    Row("matmul_batched", lambda L, a, b: a @ b, [((2, 2, 3), (2, 3, 2))]),
    Row("matmul_broadcast", lambda L, a, b: a @ b, [((2, 2, 3), (3, 2)), ((3,), (2, 3, 2)),
                                                    ((2, 1, 2, 3), (3, 3, 2))]),
    Row("mm", lambda L, a, b: L.mm(a, b), [((2, 3), (3, 2))]),
    Row("bmm", lambda L, a, b: L.bmm(a, b), [((2, 2, 3), (2, 3, 2))]),
    Row("dot", lambda L, a, b: L.dot(a, b), [((3,), (3,))]),
    Row("outer", lambda L, a, b: L.outer(a, b), [((3,), (2,))]),
    Row("linear", lambda L, x, w, b: F(L).linear(x, w, b), [((4, 3), (2, 3), (2,)),
                                                            ((2, 4, 3), (2, 3), (2,)),
                                                            ((3,), (2, 3), (2,))]),
    Row("linear_nobias", lambda L, x, w: F(L).linear(x, w), [((4, 3), (2, 3))]),
]

ACTIVATION = [
    Row("relu_f", lambda L, x: F(L).relu(x), UNARY),
    Row("leaky_relu", lambda L, x: F(L).leaky_relu(x, 0.1), UNARY),
    Row("gelu", lambda L, x: F(L).gelu(x), UNARY),
    Row("gelu_tanh", lambda L, x: F(L).gelu(x, approximate="tanh"), UNARY),
    Row("sigmoid_f", lambda L, x: L.sigmoid(x), UNARY),
    Row("softmax", lambda L, x: x.softmax(-1), [((2, 3),), ((3,),), ((2, 3, 2),)]),
    Row("softmax_dim0", lambda L, x: L.softmax(x, dim=0), [((2, 3),), ((),)]),
    Row("log_softmax", lambda L, x: x.log_softmax(1), [((2, 3),), ((2, 3, 2),)]),
    Row("log_softmax_dim0", lambda L, x: F(L).log_softmax(x, dim=0), [((3,),), ((2, 3),)]),
]

ALL_ROWS = ELEMENTWISE + REDUCTION + SHAPE + INDEXING + LINALG + ACTIVATION
