"""Start-up of local worker processes: one BLAS thread each.

With several processes on few cores, a multi-threaded BLAS (OpenBLAS starts one thread per core) makes every
QR decomposition fight the other workers for the cores: measured 25 times slower on the 2-core project machine
under load. The pool is started with the ``spawn`` method and this initializer, which sets the thread limits
before numpy is imported in the worker; this module imports nothing heavy for that reason. Dask workers get the
same limits from distributed's nanny (``distributed.nanny.pre-spawn-environ``).
"""

from __future__ import annotations

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Limit BLAS/OpenMP to one thread in this (worker) process."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
