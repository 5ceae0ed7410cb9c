"""Start-up of local worker processes: one BLAS thread each.

With several processes on few cores, a multi-threaded BLAS (OpenBLAS starts one thread per core) makes every
QR decomposition fight the other workers for the cores: measured 25 times slower on the 2-core project machine
under load. The initializer sets the thread limits in two ways: the environment variables, which a worker
started by ``spawn`` reads when it imports numpy (this module imports nothing heavy for that reason), and, for a
worker forked from a process that has already loaded OpenBLAS (numpy's and scipy's own copies), the libraries'
``set_num_threads`` entry points. Dask workers get the same limits from distributed's nanny
(``distributed.nanny.pre-spawn-environ``).
"""

from __future__ import annotations

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# entry points of the OpenBLAS builds numpy and scipy ship (scipy-openblas, 64- and 32-bit integers) and of a
# system OpenBLAS
SET_THREADS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
               "openblas_set_num_threads")


def loaded_openblas() -> list[str]:
    """Paths of the OpenBLAS libraries loaded in this process (none before numpy is imported)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line}
    except OSError:  # no /proc (not Linux): nothing is limited here, the environment variables still are
        return []
    return sorted(p for p in paths if ".so" in os.path.basename(p))


def _entry(lib, kind: str):
    for name in SET_THREADS:
        fn = getattr(lib, name.replace("_set_", f"_{kind}_"), None)
        if fn is not None:
            return fn
    return None


def blas_threads() -> dict[str, int]:
    """{library file name: its number of threads} of every loaded OpenBLAS (what a worker really uses)."""
    import ctypes

    out = {}
    for path in loaded_openblas():
        try:
            fn = _entry(ctypes.CDLL(path), "get")
        except OSError:
            continue
        if fn is not None:
            out[os.path.basename(path)] = int(fn())
    return out


def limit_loaded_blas(threads: int = 1) -> int:
    """Set every loaded OpenBLAS to ``threads`` threads; returns how many libraries were set."""
    import ctypes

    done = 0
    for path in loaded_openblas():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        fn = _entry(lib, "set")
        if fn is not None:
            fn(ctypes.c_int(threads))
            done += 1
    return done


def one_blas_thread() -> None:
    """Limit BLAS/OpenMP to one thread in this (worker) process, whether numpy is loaded yet or not."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    limit_loaded_blas(1)


def plain_streams() -> None:
    """Write to the process's own stdout and stderr: a worker forked from a notebook kernel would otherwise
    inherit the kernel's output streams and put a warning of an estimation into the notebook, where a spawned
    worker writes it to the kernel's log."""
    import sys

    for name in ("stdout", "stderr"):
        original = getattr(sys, f"__{name}__")
        if original is not None:
            setattr(sys, name, original)


def initialize() -> None:
    """The local pool's initializer: one BLAS thread, plain output streams."""
    one_blas_thread()
    plain_streams()
