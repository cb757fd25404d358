"""Build the compiled core: kernels/*.pyx -> autograd._C.<name> extension modules.

Environment variables (all optional):

* ``AUTOGRAD_NATIVE=1``     add ``-march=native`` (fast, but the build then only
  runs on CPUs like the build machine; never set it for a wheel you ship).
* ``AUTOGRAD_NO_OPENMP=1``  build without OpenMP even if the compiler has it
  (the kernels then run single-threaded).
* ``AUTOGRAD_DEBUG=1``      ``-O0 -g`` instead of ``-O3``.

OpenMP is used when the compiler accepts ``-fopenmp`` (checked by compiling
and linking a test program); otherwise the build goes on without it.
"""

import os
import sys
import tempfile
from glob import glob

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

KERNEL_DIR = "kernels"


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def _compiler_accepts(compiler, compile_args, link_args, source):
    """True if ``compiler`` compiles and links ``source`` with the given flags."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "probe.c")
        with open(path, "w") as f:
            f.write(source)
        try:
            objects = compiler.compile([path], output_dir=tmp, extra_postargs=compile_args)
            compiler.link_executable(objects, os.path.join(tmp, "probe"),
                                     extra_postargs=link_args)
        except Exception:  # CompileError, LinkError, or a missing tool
            return False
    return True


_OPENMP_PROBE = """
#include <omp.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    return n > 0 ? 0 : 1;
}
"""

_SIMD_PROBE = "int main(void) { return 0; }\n"


class BuildExt(build_ext):
    """build_ext that picks optimisation and OpenMP flags the compiler supports."""

    def build_extensions(self):
        compiler = self.compiler
        is_msvc = compiler.compiler_type == "msvc"
        if is_msvc:
            compile_args = ["/O2", "/fp:precise"]
            link_args = []
            openmp_compile, openmp_link = ["/openmp"], []
            simd_args = []
        else:
            compile_args = ["-O0", "-g"] if _env_flag("AUTOGRAD_DEBUG") else ["-O3"]
            # errno and FP exception flags are never read: without these,
            # sqrt() and the compare-and-select loops (ReLU, exp) do not vectorize.
            # fp-contract=off keeps results identical with and without FMA hardware.
            compile_args += ["-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off",
                             "-Wno-unused-function", "-Wno-unreachable-code"]
            if _env_flag("AUTOGRAD_NATIVE"):
                compile_args.append("-march=native")
            link_args = []
            openmp_compile, openmp_link = ["-fopenmp"], ["-fopenmp"]
            simd_args = ["-fopenmp-simd", "-DAG_OPENMP_SIMD"]

        use_openmp = False
        if _env_flag("AUTOGRAD_NO_OPENMP"):
            print("autograd: OpenMP disabled by AUTOGRAD_NO_OPENMP", file=sys.stderr)
        elif _compiler_accepts(compiler, openmp_compile, openmp_link, _OPENMP_PROBE):
            use_openmp = True
        else:
            print("autograd: the compiler does not accept OpenMP; the kernels will run "
                  "single-threaded", file=sys.stderr)
        if use_openmp:
            compile_args += openmp_compile
            link_args += openmp_link
        elif simd_args and _compiler_accepts(compiler, simd_args[:1], [], _SIMD_PROBE):
            # `#pragma omp simd` without the OpenMP runtime still vectorizes reductions
            compile_args += simd_args

        for ext in self.extensions:
            ext.extra_compile_args = list(compile_args)
            ext.extra_link_args = list(link_args)
        super().build_extensions()


def _extensions():
    import numpy
    from Cython.Build import cythonize

    sources = sorted(glob(os.path.join(KERNEL_DIR, "*.pyx")))
    if not sources:
        raise RuntimeError(f"no Cython sources found in {KERNEL_DIR}/")
    extensions = [
        Extension(
            "autograd._C." + os.path.splitext(os.path.basename(src))[0],
            [src],
            include_dirs=[KERNEL_DIR, numpy.get_include()],
            depends=glob(os.path.join(KERNEL_DIR, "*.h")) + glob(os.path.join(KERNEL_DIR, "*.pxd")),
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        )
        for src in sources
    ]
    return cythonize(
        extensions,
        include_path=[KERNEL_DIR],
        compiler_directives={"language_level": 3},
        quiet=True,
    )


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExt})
