"""Table-driven checks of the activation ops (rows in tests/op_table.py).

Each row and shape case: forward and gradients against PyTorch (float64,
skipped without torch), gradcheck, gradgradcheck where claimed, and the same
on non-contiguous (transposed) leaves.
"""

from op_table import ACTIVATION, table_tests

test_activation_op, test_activation_op_noncontiguous = table_tests(ACTIVATION)
