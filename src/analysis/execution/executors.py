"""Where notebooks run: the runner's own process pool (the default), or a Dask cluster.

``open_executor(None)`` gives None (``schedule`` then makes its own ``ProcessPoolExecutor``, whose workers start
kernels ahead); ``open_executor("local")`` starts a ``distributed.LocalCluster`` on 127.0.0.1 (one single-thread
worker process per job slot; its HTTP server on a free port, so a second cluster never warns about 8787) and closes it afterwards; ``open_executor("tcp://HOST:PORT")`` connects
to an existing scheduler and leaves it running; either happens at the first job to run, so a command whose runs
are all cached starts nothing. Dask workers need this environment (the package and the
``sangaku`` kernel), not the project's files: :class:`DaskExecutor` scatters each input once by its sha256 and
the tasks fetch them from the cluster.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import re
from typing import Any, Callable, Iterator

from ..errors import SangakuError

_ADDRESS = re.compile(r"^(tcp|tls)://[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


class ExecutorError(SangakuError):
    """A ``--dask`` value that is neither ``local`` nor a scheduler address, or a scheduler that cannot be reached."""


def shares_files(executor: cf.Executor | None) -> bool:
    """True when tasks run on this machine and may read the client's files by path."""
    if executor is None or isinstance(executor, (cf.ThreadPoolExecutor, cf.ProcessPoolExecutor)):
        return True
    return bool(getattr(executor, "shares_files", False))


class DaskExecutor(cf.Executor):
    """A ``concurrent.futures`` view of a ``distributed.Client`` that ships each input blob once, by hash."""

    shares_files = False

    def __init__(self, client: Any):
        self.client = client
        self._executor = client.get_executor(pure=False)
        self._blobs: dict[str, Any] = {}  # sha256 -> scattered future (kept until shutdown)

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        task, blobs = (args + ({},))[:2] if args else (None, {})
        if blobs:
            new = {h: b for h, b in blobs.items() if h not in self._blobs}
            if new:
                futures = self.client.scatter(list(new.values()), hash=False)
                self._blobs.update(zip(new, futures))
            args = (task, {h: self._blobs[h] for h in blobs}, *args[2:])
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait)
        self._blobs.clear()


def _check_address(spec: str) -> str:
    if spec == "local" or _ADDRESS.match(spec):
        return spec
    raise ExecutorError(f"--dask {spec!r}: expected 'local' (start a LocalCluster on 127.0.0.1) or a scheduler "
                        "address such as tcp://127.0.0.1:8786")


def _connect(spec: str, workers: int | None, progress: Callable[[str], None]) -> tuple[Any, Any]:
    from distributed import Client, LocalCluster

    from .schedule import default_jobs

    cluster = None
    try:
        if spec == "local":
            n = workers or default_jobs()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=":0", silence_logs=logging.ERROR)
            client = Client(cluster)
            progress(f"[dask] LocalCluster with {n} worker(s) at {cluster.scheduler_address}")
        else:
            client = Client(spec, timeout=10)
            progress(f"[dask] connected to {spec} ({len(client.scheduler_info().get('workers', {}))} worker(s))")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise ExecutorError(f"--dask {spec}: cannot reach the scheduler ({exc})") from None
    return client, cluster


class LazyDaskExecutor(cf.Executor):
    """Connects (or starts the LocalCluster) at the first submission: a command whose runs are all cached
    never waits for a cluster."""

    shares_files = False

    def __init__(self, spec: str, workers: int | None, progress: Callable[[str], None]):
        self.spec, self.workers, self.progress = spec, workers, progress
        self._client = self._cluster = None
        self._dask: DaskExecutor | None = None

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        if self._dask is None:
            self._client, self._cluster = _connect(self.spec, self.workers, self.progress)
            self._dask = DaskExecutor(self._client)
        return self._dask.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._dask is not None:
            self._dask.shutdown(wait=wait)
            self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._dask = self._client = self._cluster = None


@contextlib.contextmanager
def open_executor(spec: str | None, workers: int | None = None,
                  progress: Callable[[str], None] = print) -> Iterator[cf.Executor | None]:
    """The executor named by ``--dask`` (None: the runner's own process pool); the cluster or connection is
    made at the first submission and closed on exit."""
    if not spec:
        yield None
        return
    ex = LazyDaskExecutor(_check_address(spec), workers, progress)
    try:
        yield ex
    finally:
        ex.shutdown()
