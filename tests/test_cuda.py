"""The cuda device.

On a machine with CuPy and a GPU: every op and kernel on cuda against the
cpu results (kernels against the generic NumPy reference), MLP training on
both devices, device-mixing errors, save/load, DataLoader batches.

On every machine the same kernel and library tests also run over a NumPy
stand-in for CuPy ("fakecuda", tests/device_util.py) that checks each kernel
call against the kernel's declaration, so the backend's Python side is
tested without a GPU; and, without a GPU, ``ag.cuda.is_available()`` is
False, ``device="cuda"`` raises a clear RuntimeError, ``import autograd`` does
not import CuPy, and (when nvcc is installed) the CUDA sources compile.
"""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import autograd as ag
import autograd.cuda
from autograd.backend import get_backend
from autograd.backend import cuda as cuda_backend_module
from autograd.backend.base import Backend

from device_util import (OPTIMIZERS, KernelCallError, all_op_cases, assert_on_device,
                         check_dataloader, check_layer_against_cpu, check_op_against_cpu,
                         check_save_load, check_training_against_cpu, host, layer_cases,
                         make_fake_cuda_backend, mixing_cases, register_fake_cuda)

HAVE_CUDA = autograd.cuda.is_available()
needs_gpu = pytest.mark.skipif(not HAVE_CUDA,
                               reason=f"no CUDA: {autograd.cuda.unavailable_reason()}")
no_gpu = pytest.mark.skipif(HAVE_CUDA, reason="a CUDA device is available")
DEVICE = "cuda"
RTOL, ATOL = 1e-4, 1e-5     # float32: cuBLAS and the GPU kernels sum in another order
# The cuda backend's Python code over a NumPy stand-in for CuPy that checks every kernel
# call against the kernel's declaration (tests/device_util.py): runs on any machine.
FAKE = register_fake_cuda()
# devices for the library-level tests: the stand-in always, the GPU when there is one
DEVICES = [FAKE, pytest.param(DEVICE, marks=needs_gpu)]


# ----------------------------------------------------------------------
# without a GPU
# ----------------------------------------------------------------------
@no_gpu
def test_is_available_false_without_gpu():
    assert autograd.cuda.is_available() is False
    assert autograd.cuda.device_count() == 0
    reason = autograd.cuda.unavailable_reason()
    assert "CuPy" in reason


@no_gpu
@pytest.mark.parametrize("make", [
    lambda: ag.tensor([1.0], device="cuda"),
    lambda: ag.zeros(2, device="cuda"),
    lambda: ag.ones(2).to("cuda"),
    lambda: ag.ones(2).cuda(),
    lambda: ag.nn.Linear(2, 2).to("cuda"),
], ids=["tensor", "zeros", "to", "cuda_method", "module_to"])
def test_cuda_device_without_gpu_raises_clear_error(make):
    with pytest.raises(RuntimeError) as info:
        make()
    message = str(info.value)
    assert "CUDA" in message and "pip install cupy" in message, message


@no_gpu
def test_synchronize_without_gpu_raises_clear_error():
    with pytest.raises(RuntimeError, match="pip install cupy"):
        autograd.cuda.synchronize()


def test_import_does_not_import_cupy(tmp_path):
    code = ("import sys, autograd, autograd.cuda, autograd.nn, autograd.optim; "
            "autograd.cuda.__name__; print('cupy' in sys.modules)")
    # Run the autograd this test imported (installed or in the source tree), from a neutral cwd.
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(ag.__file__)))
    env = dict(os.environ, PYTHONPATH=package_parent + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_is_available_never_raises(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def broken_import(name, *args, **kwargs):
        if name == "cupy" or name.startswith("cupy."):
            raise ImportError("simulated: no module named cupy")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", broken_import)
    monkeypatch.setattr(autograd.cuda, "_probed", None)
    assert autograd.cuda.is_available() is False
    assert "pip install cupy" in autograd.cuda.unavailable_reason()
    with pytest.raises(RuntimeError, match="pip install cupy-cuda12x"):
        cuda_backend_module.CUDABackend()


# The CUDA sources are checked by compiling them with nvcc when the toolkit is
# installed (no GPU needed): a syntax or type error shows up here, not on the GPU.
NVCC = shutil.which("nvcc")


def _elementwise_harness(definitions):
    """CUDA C++ that declares each ElementwiseKernel body the way CuPy does, for nvcc.

    CuPy binds an input ``T x`` to ``const T x``, an output to ``T& y``, a
    ``raw`` array to an indexable array, defines the loop index ``i`` and
    appends ``;`` to the body.
    """
    scalar_types = {"int32": "int", "int64": "long long", "float32": "float",
                    "float64": "double", "T": "T"}

    def parse(params):
        return [(p.split()[0] == "raw", p.split()[-2], p.split()[-1]) for p in params.split(",")]

    parts = ["#include <cstddef>"]
    for index, (in_params, out_params, body, name) in enumerate(definitions):
        ins, outs = parse(in_params), parse(out_params)
        decl = [f"const {scalar_types[t]}* {p}" if raw else f"const {scalar_types[t]} {p}"
                for raw, t, p in ins]
        decl += [f"{scalar_types[t]}& {p}" for _, t, p in outs]
        parts.append(f"template <typename T> __device__ void {name}(ptrdiff_t i, "
                     f"{', '.join(decl)}) {{\n{body};\n}}")   # CuPy appends ';'
        for ctype in ("float", "double"):
            def concrete(t):
                return ctype if t == "T" else scalar_types[t]
            args = [f"(const {concrete(t)}*)0" if raw else f"({concrete(t)})0" for raw, t, _ in ins]
            locals_ = " ".join(f"{concrete(t)} out_{p} = 0;" for _, t, p in outs)
            args += [f"out_{p}" for _, _, p in outs]
            parts.append(f"__global__ void check_{index}_{ctype}() {{ {locals_} "
                         f"{name}<{ctype}>(0, {', '.join(args)}); }}")
    return "\n".join(parts)


def _reduction_harness():
    """The map / reduce / post-map expressions of the ReductionKernels, the way CuPy
    assembles them (``a``, ``b`` of the reduce type; the output bound by reference)."""
    scalar_types = {"int32": "int", "int64": "long long", "float32": "float",
                    "float64": "double", "T": "T"}
    parts = []
    for index, definition in enumerate(cuda_backend_module.REDUCTION_KERNELS.values()):
        in_params, out_params, map_expr, reduce_expr, post_map, identity, name, rtype = definition
        ins = [(p.split()[-2], p.split()[-1]) for p in in_params.split(",")]
        (out_type, out_name), = [(p.split()[-2], p.split()[-1]) for p in out_params.split(",")]
        rtype = rtype or scalar_types[out_type]
        decl = ", ".join([f"const {scalar_types[t]} {n}" for t, n in ins]
                         + [f"{scalar_types[out_type]}& {out_name}"])
        parts.append(
            f"template <typename T> __device__ void {name}({decl}) {{\n"
            f"  typedef {rtype} R; R a = ({identity}); R b = (R)({map_expr});\n"
            f"  a = ({reduce_expr});\n  {post_map};\n}}")
        for ctype in ("float", "double"):
            def concrete(t):
                return ctype if t == "T" else scalar_types[t]
            args = ", ".join([f"({concrete(t)})1" for t, _ in ins] + ["out"])
            parts.append(f"__global__ void check_r{index}_{ctype}() {{ "
                         f"{concrete(out_type)} out = 0; {name}<{ctype}>({args}); }}")
    return "\n".join(parts)


@pytest.mark.skipif(NVCC is None, reason="nvcc (CUDA toolkit) not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_kernels_compile(tmp_path, dtype):
    source = tmp_path / "rows.cu"
    source.write_text(cuda_backend_module.row_kernels_source(dtype))
    result = subprocess.run([NVCC, "-ptx", "-arch=sm_80", str(source), "-o",
                             str(tmp_path / "rows.ptx")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    ptx = (tmp_path / "rows.ptx").read_text()
    for name in ("softmax_forward", "softmax_backward", "cross_entropy_forward",
                 "cross_entropy_backward"):
        assert f"ag_{name}_" in ptx


@pytest.mark.skipif(NVCC is None, reason="nvcc (CUDA toolkit) not installed")
def test_elementwise_kernels_compile(tmp_path):
    definitions = list(cuda_backend_module.ELEMENTWISE_KERNELS.values())
    definitions += [cuda_backend_module.rmsprop_kernel_definition(c, m)
                    for c in (False, True) for m in (False, True)]
    source = tmp_path / "elementwise.cu"
    source.write_text(_elementwise_harness(definitions) + "\n" + _reduction_harness())
    result = subprocess.run([NVCC, "-ptx", "-arch=sm_80", str(source), "-o",
                             str(tmp_path / "elementwise.ptx")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr + "\n" + source.read_text()


def test_block_size():
    assert cuda_backend_module._block_size(1) == 32
    assert cuda_backend_module._block_size(10) == 32
    assert cuda_backend_module._block_size(1000) == 256
    assert cuda_backend_module._block_size(4096) == 1024
    assert cuda_backend_module._block_size(10 ** 6) == 1024


# ----------------------------------------------------------------------
# on the GPU: kernels against the generic NumPy reference
# ----------------------------------------------------------------------
@pytest.fixture(params=["fake", pytest.param("gpu", marks=needs_gpu)])
def cuda(request):
    """The cuda backend: over the CuPy stand-in, and over CuPy on a GPU."""
    return make_fake_cuda_backend() if request.param == "fake" else get_backend(DEVICE)


def _tol(dtype):
    return dict(rtol=2e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)


FLOATS = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True),
                                             (True, True)])
def test_gemm_flags(cuda, rng, dtype, trans_a, trans_b):
    ref = Backend()
    m, k, n = 33, 17, 65
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    c = rng.standard_normal((m, n)).astype(dtype)
    got = cuda.gemm(cuda.from_numpy(a), cuda.from_numpy(b), trans_a, trans_b, alpha=0.5)
    np.testing.assert_allclose(cuda.to_numpy(got), ref.gemm(a, b, trans_a, trans_b, alpha=0.5),
                               **_tol(dtype))
    expected = ref.gemm(a, b, trans_a, trans_b, 2.0, -1.5, c.copy())
    out = cuda.from_numpy(c.copy())
    res = cuda.gemm(cuda.from_numpy(a), cuda.from_numpy(b), trans_a, trans_b, alpha=2.0,
                    beta=-1.5, out=out)
    assert res is out
    np.testing.assert_allclose(cuda.to_numpy(out), expected, **_tol(dtype))


def test_gemm_edge_cases(cuda, rng):
    a = cuda.from_numpy(np.ones((3, 0), np.float32))
    b = cuda.from_numpy(np.ones((0, 4), np.float32))
    np.testing.assert_array_equal(cuda.to_numpy(cuda.gemm(a, b)), np.zeros((3, 4), np.float32))
    x = rng.standard_normal((6, 8)).astype(np.float32)
    strided = cuda.from_numpy(x)[:, ::2]                      # neither C nor F contiguous
    np.testing.assert_allclose(cuda.to_numpy(cuda.gemm(strided, strided, trans_b=True)),
                               x[:, ::2] @ x[:, ::2].T, rtol=1e-5)
    with pytest.raises(ValueError, match="do not align"):
        cuda.gemm(cuda.from_numpy(x), cuda.from_numpy(x))
    xi = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(cuda.to_numpy(cuda.gemm(cuda.from_numpy(xi),
                                                          cuda.from_numpy(xi.T.copy()))),
                                  xi @ xi.T)


@pytest.mark.parametrize("dtype", FLOATS)
def test_linear_relu_kernels(cuda, rng, dtype):
    ref = Backend()
    x = rng.standard_normal((37, 19)).astype(dtype)
    w = rng.standard_normal((23, 19)).astype(dtype)
    b = rng.standard_normal(23).astype(dtype)
    g = rng.standard_normal((37, 19)).astype(dtype)
    d, n = cuda.from_numpy, cuda.to_numpy
    np.testing.assert_allclose(n(cuda.linear_forward(d(x), d(w), d(b))),
                               ref.linear_forward(x, w, b), **_tol(dtype))
    np.testing.assert_allclose(n(cuda.linear_forward(d(x), d(w))), ref.linear_forward(x, w),
                               **_tol(dtype))
    x[0, :3] = [0.0, -0.0, np.nan]
    np.testing.assert_array_equal(n(cuda.relu_forward(d(x))), ref.relu_forward(x))
    np.testing.assert_array_equal(n(cuda.relu_backward(d(g), d(x))), np.where(x <= 0, 0, g))
    y = d(x.copy())
    assert cuda.bias_relu_forward(y, d(b[:19].copy())) is y
    np.testing.assert_array_equal(n(y), ref.bias_relu_forward(x.copy(), b[:19].copy()))


ROW_SHAPES = [(1, 1), (3, 7), (64, 10), (5, 1000), (4, 4097), (2, 20000), (0, 5)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", ROW_SHAPES, ids=str)
def test_softmax_kernels(cuda, rng, dtype, shape):
    ref = Backend()
    x = (3 * rng.standard_normal(shape)).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    d, n = cuda.from_numpy, cuda.to_numpy
    for forward, backward in (("softmax_forward", "softmax_backward"),
                              ("log_softmax_forward", "log_softmax_backward")):
        y_ref = getattr(ref, forward)(x)
        y = getattr(cuda, forward)(d(x))
        np.testing.assert_allclose(n(y), y_ref, err_msg=forward, **_tol(dtype))
        np.testing.assert_allclose(n(getattr(cuda, backward)(d(g), d(y_ref))),
                                   getattr(ref, backward)(g, y_ref), err_msg=backward,
                                   **_tol(dtype))


def test_softmax_kernels_other_layouts(cuda, rng):
    ref = Backend()
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    d, n = cuda.from_numpy, cuda.to_numpy
    for axis in (-1, 2, 1, 0):
        np.testing.assert_allclose(n(cuda.softmax_forward(d(x), axis=axis)),
                                   ref.softmax_forward(x, axis=axis), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(n(cuda.log_softmax_forward(d(x), axis=axis)),
                                   ref.log_softmax_forward(x, axis=axis), rtol=1e-5, atol=1e-6)
    xt = d(x[0].T.copy()).T                                    # non-contiguous rows
    np.testing.assert_allclose(n(cuda.softmax_forward(xt)), ref.softmax_forward(x[0]),
                               rtol=1e-5, atol=1e-7)
    extreme = np.array([[1e30, -1e30, 0.0], [-np.inf, 0.0, 1.0], [np.nan, 0.0, 1.0]], np.float32)
    np.testing.assert_allclose(n(cuda.softmax_forward(d(extreme))), ref.softmax_forward(extreme),
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (300, 10), (3, 5000), (2, 20000)], ids=str)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_kernels(cuda, rng, dtype, shape, reduction, label_smoothing):
    ref = Backend()
    n_rows, c = shape
    x = (2 * rng.standard_normal(shape)).astype(dtype)
    t = rng.integers(0, c, size=n_rows)
    if n_rows > 2:
        t[1] = -100                                            # ignored row
    grad = (rng.standard_normal(n_rows) if reduction == "none" else np.array(1.7)).astype(dtype)
    d, n = cuda.from_numpy, cuda.to_numpy
    kwargs = dict(reduction=reduction, label_smoothing=label_smoothing)
    loss, lse = cuda.cross_entropy_forward(d(x), d(t), **kwargs)
    ref_loss, ref_lse = ref.cross_entropy_forward(x, t, **kwargs)
    assert loss.dtype == dtype and loss.shape == np.shape(ref_loss)
    np.testing.assert_allclose(n(loss), ref_loss, **_tol(dtype))
    np.testing.assert_allclose(n(lse), ref_lse, **_tol(dtype))
    got = cuda.cross_entropy_backward(d(grad), d(x), d(t), lse, **kwargs)
    np.testing.assert_allclose(n(got), ref.cross_entropy_backward(grad, x, t, ref_lse, **kwargs),
                               **_tol(dtype))


@pytest.mark.filterwarnings("ignore:invalid value encountered")   # NumPy's 0/0 in the stand-in
def test_cross_entropy_kernel_edge_cases(cuda):
    d, n = cuda.from_numpy, cuda.to_numpy
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(IndexError, match="out of bounds"):
        cuda.cross_entropy_forward(d(x), d(np.array([0, 4, 1])))
    with pytest.raises(IndexError, match="out of bounds"):
        cuda.cross_entropy_forward(d(x), d(np.array([0, -1, 1])))
    loss, _ = cuda.cross_entropy_forward(d(x), d(np.array([-100, -100, -100])))
    assert np.isnan(n(loss))                                    # mean over no rows, as PyTorch
    loss, _ = cuda.cross_entropy_forward(d(x), d(np.array([5, 0, 1])), ignore_index=5)
    np.testing.assert_allclose(n(loss), np.log(4.0), rtol=1e-6)
    loss, _ = cuda.cross_entropy_forward(d(x), d(np.array([0, 1, 2], np.int32)))
    np.testing.assert_allclose(n(loss), np.log(4.0), rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
def test_optimizer_kernels(cuda, rng, dtype):
    ref = Backend()
    shape = (13, 7)
    p0 = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(3)]
    d, n = cuda.from_numpy, cuda.to_numpy
    tol = _tol(dtype)

    configs = [
        ("sgd", dict(lr=0.1)),
        ("sgd", dict(lr=0.1, weight_decay=0.01)),
        ("sgd", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
        ("sgd", dict(lr=0.1, momentum=0.9, nesterov=True)),
        ("adam", dict(lr=1e-2)),
        ("adam", dict(lr=1e-2, weight_decay=0.1)),
        ("adam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
        ("rmsprop", dict(lr=1e-2)),
        ("rmsprop", dict(lr=1e-2, momentum=0.9, weight_decay=0.01)),
        ("rmsprop", dict(lr=1e-2, centered=True)),
        ("rmsprop", dict(lr=1e-2, centered=True, momentum=0.5)),
    ]
    for kind, cfg in configs:
        states = {}
        for name, backend, conv in (("ref", ref, lambda a: a.copy()), ("cuda", cuda, d)):
            p = conv(p0)
            s1, s2, s3 = (conv(np.zeros(shape, dtype)) for _ in range(3))
            for step, g in enumerate(grads, start=1):
                if kind == "sgd":
                    out = backend.sgd_step(p, conv(g), s1, first_step=(step == 1), **cfg)
                elif kind == "adam":
                    out = backend.adam_step(p, conv(g), s1, s2, step, **cfg)
                else:
                    out = backend.rmsprop_step(p, conv(g), s1, momentum_buffer=s2, grad_avg=s3,
                                               **cfg)
                assert out is p
            states[name] = [p, s1, s2, s3]
        for i, (a, e) in enumerate(zip(states["cuda"], states["ref"])):
            np.testing.assert_allclose(n(a), e, err_msg=f"{kind} {cfg} state {i}", **tol)


# ----------------------------------------------------------------------
# on the GPU: the library, against cpu
# ----------------------------------------------------------------------
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", all_op_cases(), ids=str)
def test_op_matches_cpu(case, device):
    check_op_against_cpu(case, device, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(layer_cases()))
def test_layer_matches_cpu(name, device):
    check_layer_against_cpu(name, device, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_training_matches_cpu(optimizer, device):
    check_training_against_cpu(device, optimizer, rtol=RTOL, atol=ATOL)


@needs_gpu
def test_tensors_hold_cupy_arrays():
    import cupy
    x = ag.randn(3, 4, device="cuda", requires_grad=True)
    assert isinstance(x._data, cupy.ndarray) and x.device == "cuda"
    y = ag.ones(3, 4).cuda()
    assert isinstance(y._data, cupy.ndarray)
    (x * y).sum().backward()
    assert isinstance(x.grad._data, cupy.ndarray)
    z = x.cpu()
    assert isinstance(z._data, np.ndarray) and z.device == "cpu"
    assert isinstance(x.detach().numpy(), np.ndarray)
    autograd.cuda.synchronize()
    assert autograd.cuda.device_count() >= 1


@needs_gpu
def test_module_to_cuda_and_back():
    model = ag.nn.Sequential(ag.nn.Linear(3, 4), ag.nn.BatchNorm1d(4)).to("cuda")
    for t in list(model.parameters()) + list(model.buffers()):
        assert_on_device(t, DEVICE)
    model.to("cpu")
    for t in list(model.parameters()) + list(model.buffers()):
        assert t.device == "cpu"


@pytest.mark.parametrize("device", DEVICES)
def test_save_load(tmp_path, device):
    check_save_load(device, tmp_path)


@pytest.mark.parametrize("device", DEVICES)
def test_dataloader_batches_to_cuda(device):
    check_dataloader(device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("index", range(len(mixing_cases(DEVICE))),
                         ids=[n for n, _ in mixing_cases(DEVICE)])
def test_mixing_devices_raises(index, device):
    name, fn = mixing_cases(device)[index]
    with pytest.raises(RuntimeError) as info:
        fn()
    message = str(info.value)
    assert "cpu" in message and device in message, message


def test_fake_cupy_catches_bad_kernel_calls():
    """The stand-in really checks calls (else the tests above would prove nothing)."""
    backend = make_fake_cuda_backend()
    x = np.ones((2, 3), np.float32)
    with pytest.raises(KernelCallError, match="dtype"):
        backend._kernel("relu_backward")(x, x.astype(np.float64))
    with pytest.raises(KernelCallError, match="scalar"):
        backend._kernel("sgd_step")(x, 0.1, np.float32(0.0), x.copy())
    kernel = backend._row_kernel("softmax_forward", np.dtype(np.float32))
    with pytest.raises(KernelCallError, match="int64 scalar"):
        kernel((2,), (32,), (x, np.empty_like(x), np.int32(3), np.int32(0), np.int32(0)))
    with pytest.raises(KernelCallError, match="grid"):
        kernel((3,), (32,), (x, np.empty_like(x), np.int64(3), np.int32(0), np.int32(0)))


@needs_gpu
def test_host_values_equal_after_roundtrip(rng):
    x = rng.standard_normal((5, 6)).astype(np.float32)
    t = ag.tensor(x, device="cuda")
    np.testing.assert_array_equal(host(t), x)
    np.testing.assert_array_equal(t.cpu().numpy(), x)


def test_gpu_benchmark_smoke_run_on_the_stand_in(monkeypatch, tmp_path, capsys):
    """bench/gpu.py runs end to end (tiny sizes) with the CuPy stand-in as the cuda device."""
    import importlib.util
    import json

    from autograd.backend import _backends, _factories
    from device_util import FakeCupy

    fake = FakeCupy()
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setitem(_factories, "cuda", lambda: make_fake_cuda_backend("cuda"))
    monkeypatch.setitem(_backends, "cuda", make_fake_cuda_backend("cuda"))
    monkeypatch.setattr(autograd.cuda, "_probed", (1, None))
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench",
                        "gpu.py")
    spec = importlib.util.spec_from_file_location("gpu_bench_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out_json = tmp_path / "gpu.json"
    assert module.main(["--smoke", "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    for name in ("copy device->device", "matmul", "softmax forward", "cross_entropy backward",
                 "MLP 784-1024-1024-10"):
        assert name in printed
    results = json.loads(out_json.read_text())["results"]
    assert all(r["ours"] is None or r["ours"] > 0 for r in results)
