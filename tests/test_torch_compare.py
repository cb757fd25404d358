"""Every op of the op table against PyTorch on random float32 inputs (several seeds),
forward values and gradients; plus a random composite graph.  Skipped cleanly
without PyTorch."""

import numpy as np
import pytest

import autograd as ag
from op_table import ALL_ROWS, make_array, params, _domains, _flatten_outputs

torch = pytest.importorskip("torch")

CASES, IDS = params(ALL_ROWS)


def _run(L, row, arrays):
    if L is ag:
        xs = [ag.tensor(a, dtype=ag.float32, requires_grad=True) for a in arrays]
    else:
        xs = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in arrays]
    fn = row.torch_fn if (L is torch and row.torch_fn) else row.fn
    outs = _flatten_outputs(fn(L, *xs))
    return xs, outs


@pytest.mark.parametrize("row,case", CASES, ids=IDS)
@pytest.mark.parametrize("seed", [11, 12])
def test_float32_against_torch(row, case, seed):
    rng = np.random.default_rng(seed)
    arrays = [make_array(rng, s, d).astype(np.float32)
              for s, d in zip(case, _domains(row, len(case)))]
    xs, outs = _run(ag, row, arrays)
    ts, touts = _run(torch, row, arrays)
    assert len(outs) == len(touts)
    for o, to in zip(outs, touts):
        assert o.dtype.name == str(to.dtype).replace("torch.", ""), (o.dtype, to.dtype)
        np.testing.assert_allclose(o.detach().numpy(), to.detach().numpy(), rtol=2e-5,
                                   atol=1e-6)
    ups = [rng.standard_normal(o.shape).astype(np.float32) for o in outs]
    pairs = [(o, u) for o, u in zip(outs, ups) if o.requires_grad]
    tpairs = [(o, u) for o, u in zip(touts, ups) if o.requires_grad]
    assert len(pairs) == len(tpairs)
    if not pairs:
        return
    sum(((o * ag.tensor(u)).sum() for o, u in pairs), ag.tensor(0.0)).backward()
    sum(((o * torch.tensor(u)).sum() for o, u in tpairs), torch.tensor(0.0)).backward()
    for x, t in zip(xs, ts):
        if t.grad is None:
            assert x.grad is None or not x.grad.numpy().any()
            continue
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_random_composite_graph_against_torch():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 5)).astype(np.float32)
    w = rng.standard_normal((3, 5)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    results = []
    for L, F in ((ag, ag.ops), (torch, torch.nn.functional)):
        x = L.tensor(a, requires_grad=True)
        wt = L.tensor(w, requires_grad=True)
        bt = L.tensor(b, requires_grad=True)
        h = F.gelu(F.linear(x, wt, bt))
        h = h.softmax(-1) * h.sigmoid() + h[:, [0, 2, 2]].exp()
        h = L.cat([h, h.flip(0)], 1).reshape(2, -1)
        loss = h.logsumexp(1).sum() + h.var() + h.norm() + h.max() + h.abs().mean()
        loss.backward()
        results.append([loss.item(), x.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()])
    ours, theirs = results
    assert ours[0] == pytest.approx(theirs[0], rel=1e-5)
    for g1, g2 in zip(ours[1:], theirs[1:]):
        np.testing.assert_allclose(g1, g2, rtol=1e-4, atol=1e-5)
