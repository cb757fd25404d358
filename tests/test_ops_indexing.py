"""Table-driven checks of the indexing ops (rows in tests/op_table.py).

Each row and shape case: forward and gradients against PyTorch (float64,
skipped without torch), gradcheck, gradgradcheck where claimed, and the same
on non-contiguous (transposed) leaves.
"""

import pytest

from op_table import INDEXING, check_row, params

CASES, IDS = params(INDEXING)


@pytest.mark.parametrize("row,case", CASES, ids=IDS)
def test_indexing_op(row, case):
    try:
        import torch
    except ImportError:  # the PyTorch comparison is optional; the gradchecks are not
        torch = None
    check_row(row, case, torch=torch)


@pytest.mark.parametrize("row,case", [(r, c) for r, c in CASES if r.noncontig and
                                      any(len(s) >= 1 for s in c)],
                         ids=[i for (r, c), i in zip(CASES, IDS) if r.noncontig and
                              any(len(s) >= 1 for s in c)])
def test_indexing_op_noncontiguous(row, case):
    try:
        import torch
    except ImportError:
        torch = None
    check_row(row, case, torch=torch, noncontig=True, seed=1, gradgrad=False)
