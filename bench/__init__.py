"""Benchmarks of autograd side by side with NumPy and PyTorch: ``python -m bench --help``.

Suites: :mod:`bench.kernels` (compiled kernels), :mod:`bench.overhead_suite`
(per-op dispatch cost), :mod:`bench.mlp` (training throughput against
PyTorch and the hand-written NumPy floor :mod:`bench.numpy_mlp`), and
:mod:`bench.gpu` (CuPy, when a GPU is present).  :mod:`bench.run` is the
command line; :mod:`bench.common` holds the timing, table and JSON helpers.
See bench/README.md for how to run and read them.
"""
