"""Packaging and build contract of the compiled core.

* A missing or broken extension gives an ImportError that says how to build.
* The shared C header compiles with and without OpenMP (the serial stand-ins).
* pyproject.toml declares the build and runtime requirements and the extras.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap

import pytest

import autograd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The directory holding the autograd these tests imported: the installed package in CI, the
# source tree in a development install. Subprocesses run that same package, from a neutral cwd.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(autograd.__file__)))
NEUTRAL_CWD = os.path.dirname(PACKAGE_PARENT)


def _run_python(code):
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_PARENT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, cwd=NEUTRAL_CWD, env=env, timeout=120)


@pytest.mark.parametrize("module", ["gemm", "optim"])
def test_missing_extension_says_how_to_build(module):
    """Hide one compiled module: importing autograd._C must explain the build, not crash."""
    result = _run_python(f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "autograd._C.{module}":
                    raise ImportError("No module named 'autograd._C.{module}'")
                return None
        sys.meta_path.insert(0, Block())
        try:
            import autograd._C
        except ImportError as exc:
            print("MESSAGE:", exc)
        else:
            print("imported")
    """)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "MESSAGE:" in out, out
    assert "pip install ." in out
    assert "build_ext --inplace" in out
    assert "pip install -e ." in out
    assert f"autograd._C.{module}" in out  # the underlying reason is kept


def _compile_header_probe(tmp_path, extra_flags):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler")
    source = tmp_path / "probe.c"
    source.write_text(textwrap.dedent("""
        #include <Python.h>
        #include <stdio.h>
        #include "ag_common.h"
        int main(void) {
            float x[5] = {-1.0f, 0.5f, 2.0f, -3.0f, 0.0f}, out[5];
            float m = ag_row_max_f32(x, 5);
            float s = ag_row_exp_shift_sum_f32(x, m, out, 5);
            ag_set_module_threads(3);
            float sx[4] = {-100.0f, 0.0f, 2.0f, -2.0f}, sy[4];
            ag_sigmoid_f32(sx, sy, 4);
            ag_set_module_parallel_thresholds(7, 9);
            printf("%d %d %.6f %.6f %.9g %.9g %.9g %.9g %.9g %d %d\\n", AG_HAVE_OPENMP,
                   ag_threads(), m, s, ag_expf(-1.0f), sy[0], sy[1], sy[2], sy[3],
                   (int)ag_parallel_min_elements, (int)ag_parallel_min_row_work);
            return 0;
        }
    """))
    exe = tmp_path / "probe"
    include = sysconfig.get_paths()["include"]
    cmd = [compiler, "-O2", *extra_flags, f"-I{include}", f"-I{os.path.join(ROOT, 'kernels')}",
           str(source), "-o", str(exe), "-lm"]
    built = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if built.returncode != 0 and "-fopenmp" in extra_flags:
        pytest.skip("the compiler does not accept -fopenmp")
    assert built.returncode == 0, built.stderr
    return subprocess.run([str(exe)], capture_output=True, text=True, timeout=60).stdout.split()


@pytest.mark.parametrize("flags", [[], ["-fopenmp"]], ids=["serial", "openmp"])
def test_common_header_compiles_with_and_without_openmp(tmp_path, flags):
    (have_openmp, threads, m, s, e, *sig, min_elements,
     min_row_work) = _compile_header_probe(tmp_path, flags)
    assert have_openmp == ("1" if flags else "0")
    assert threads == "3"
    assert float(m) == 2.0
    import math

    expected = sum(math.exp(v - 2.0) for v in (-1.0, 0.5, 2.0, -3.0, 0.0))
    assert abs(float(s) - expected) < 1e-6
    assert abs(float(e) - math.exp(-1.0)) < 1e-7
    # sigmoid(-100) is below float32's smallest normal number: flushed to 0
    for got, x in zip(sig, (-100.0, 0.0, 2.0, -2.0)):
        want = 0.0 if x == -100.0 else 1 / (1 + math.exp(-x))
        assert abs(float(got) - want) < 1e-7, (x, got)
    assert (min_elements, min_row_work) == ("7", "9")


@pytest.mark.parametrize("preset", [None, "ACTIVE"])
def test_omp_wait_policy_is_left_as_the_user_set_it(preset):
    """Importing the kernels loads libgomp with a passive wait policy (spinning workers starve
    BLAS's threads on small machines) but leaves the environment as it was, so an OpenMP
    runtime loaded later by another library (PyTorch's) keeps its own defaults."""
    env = dict(os.environ)
    env.pop("OMP_WAIT_POLICY", None)
    env.pop("GOMP_SPINCOUNT", None)
    if preset is not None:
        env["OMP_WAIT_POLICY"] = preset
    env["PYTHONPATH"] = PACKAGE_PARENT + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run(
        [sys.executable, "-c",
         "import os, autograd._C; print(os.environ.get('OMP_WAIT_POLICY', 'unset'))"],
        capture_output=True, text=True, cwd=NEUTRAL_CWD, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (preset or "unset")


def test_pyproject_declares_requirements():
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        meta = tomllib.load(fh)
    build = " ".join(meta["build-system"]["requires"])
    for name in ("setuptools", "Cython>=3", "numpy", "scipy"):
        assert name in build
    deps = " ".join(meta["project"]["dependencies"])
    for name in ("numpy", "scipy", "tqdm"):
        assert name in deps
    extras = meta["project"]["optional-dependencies"]
    assert {"pytest", "hypothesis", "pytest-timeout"} <= set(extras["test"])
    assert extras["gpu"] == ["cupy"]
    assert "*.gz" in meta["tool"]["setuptools"]["package-data"]["autograd.datasets"]
    assert meta["tool"]["pytest"]["ini_options"]["timeout"] == 300


def test_default_build_flags_are_portable():
    """No -march=native unless AUTOGRAD_NATIVE asks for it."""
    with open(os.path.join(ROOT, "setup.py")) as fh:
        source = fh.read()
    native_lines = [line for line in source.splitlines() if "-march=native" in line
                    and not line.lstrip().startswith(("#", "*", "``"))]
    assert native_lines, "setup.py should offer -march=native behind AUTOGRAD_NATIVE"
    for line in native_lines:
        index = source.index(line)
        guard = source[max(0, index - 200):index]
        assert 'AUTOGRAD_NATIVE' in guard, line


def test_compiled_modules_report_openmp_and_threads():
    from autograd import _C

    assert isinstance(_C.HAVE_OPENMP, bool)
    assert _C.get_num_threads() >= 1
