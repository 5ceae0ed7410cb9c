"""Warm kernels for the interactive loop: ``analysis warm start|stop|status`` and the executor that uses them.

``analysis warm start`` starts a warm server (``warm_server``) for the current output folder and waits until
its workers have a kernel forked from their template waiting. While it runs and is current, ``analysis run``
and ``analysis sweep`` (without ``--dask``) send their jobs to it through :class:`WarmExecutor`, an ordinary
``concurrent.futures.Executor`` for ``pipeline``/``schedule``, which say so in one line; the notebooks' validate
hooks run in the server too (the client imports no figure module), with the same ``ParameterError`` before any
kernel starts. Everything else — parameters, cache keys, scheduling, writing the results — happens in the
client exactly as without a server, so the files are byte-identical.

Before using a server the client sends the fingerprint it computes from the disk (``warm_identity``): a
server whose code, package data, packages or kernel differ refuses and exits, one started in another
environment refuses; the command then runs as without a server (and says why). Ctrl-C in the client cancels
its jobs on the server (the workers running them are replaced), not the server. ``SANGAKU_WARM=0`` ignores a
running server.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import itertools
import json
import multiprocessing.connection as mpc
import os
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Iterator

from .. import errors, paths
from . import executors
from . import warm_identity as ident
from .jobs import Job

START_TIMEOUT = 300.0  # priming two workers takes seconds; a loaded machine, a minute
ENV_DISABLE = "SANGAKU_WARM"


def connect() -> Any | None:
    """An authenticated connection to this output folder's server, or None when none answers."""
    sock = ident.socket_path()
    if not sock.exists():
        return None
    try:
        return mpc.Client(str(sock), family="AF_UNIX", authkey=ident.read_key())
    except (ConnectionRefusedError, FileNotFoundError):  # a server that died without removing its socket
        return None


def _ask(conn: Any, msg: tuple) -> tuple:
    conn.send(msg)
    return conn.recv()


def _raise_remote(payload: tuple) -> None:
    """Raise in the client the exception a validate hook raised in the server (``analysis.errors`` classes
    keep their class and fields; anything else becomes a ``SangakuError`` naming it)."""
    name, message, attrs = payload
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        exc = cls.__new__(cls)
        Exception.__init__(exc, message)
        vars(exc).update(attrs)
        raise exc
    raise errors.SangakuError(f"validate hook raised {name}: {message}")


class WarmExecutor(cf.Executor):
    """Runs ``worker.execute_job(task, blobs)`` on the warm server (same machine: inputs go by path)."""

    shares_files = True

    def __init__(self, conn: Any, info: dict[str, Any]):
        self.conn, self.info = conn, info
        self._ids = itertools.count(1)
        self._futures: dict[int, cf.Future] = {}
        self._replies: list = []
        self._reply = threading.Condition()
        self._send = threading.Lock()
        self._closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                msg = self.conn.recv()
            except (EOFError, OSError, TypeError):  # TypeError: closed by shutdown() while waiting
                break
            if msg[0] == "result":
                fut = self._futures.pop(msg[1], None)
                if fut is not None:
                    with contextlib.suppress(cf.InvalidStateError):
                        fut.set_result(msg[2])
            else:
                with self._reply:
                    self._replies.append(msg)
                    self._reply.notify_all()
        gone = RuntimeError("the warm server stopped")
        for fut in list(self._futures.values()):
            with contextlib.suppress(cf.InvalidStateError):
                fut.set_exception(gone)
        with self._reply:
            self._replies.append(("gone",))
            self._reply.notify_all()

    def _request(self, msg: tuple) -> tuple:
        with self._send:
            self.conn.send(msg)
        with self._reply:
            while not self._replies:
                self._reply.wait(0.5)
            reply = self._replies.pop(0)
        if reply[0] == "gone":
            raise errors.SangakuError("the warm server stopped; run the command again (it runs without one)")
        return reply

    def check_hooks(self, todo: list[Job]) -> None:
        """The validate hooks of the jobs about to run, in the server (``pipeline.hook_check``)."""
        if todo:
            reply = self._request(("hooks", [(job.input_path, job.overrides) for job in todo]))
            if reply[1] is not None:
                _raise_remote(reply[1])

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        from . import worker

        if fn is not worker.execute_job or kwargs or not args:
            raise TypeError("the warm server executes worker.execute_job(task, blobs) only")
        task, blobs = (args + ({},))[:2]
        fut: cf.Future = cf.Future()
        job_id = next(self._ids)
        self._futures[job_id] = fut
        with self._send:
            self.conn.send(("submit", job_id, task, blobs or {}))
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Close the connection; the server cancels whatever of this client's is still queued or running."""
        if self._closed:
            return
        self._closed = True
        pending = [f for f in list(self._futures.values()) if not f.done()]
        for fut in pending:
            fut.cancel()  # never "the server stopped" for what this client gave up
        with contextlib.suppress(OSError, ValueError):
            if pending:
                with self._send:
                    self.conn.send(("cancel",))
        with contextlib.suppress(OSError):
            self.conn.close()


def attach(progress: Callable[[str], None] = print) -> WarmExecutor | None:
    """The current server as an executor, or None (no server, disabled, or refused: said in one line)."""
    if os.environ.get(ENV_DISABLE) == "0":
        return None
    try:
        conn = connect()
    except (ident.WarmError, OSError, mpc.AuthenticationError) as exc:
        progress(f"warm: not using the warm server ({exc}); running without it")
        return None
    if conn is None:
        return None
    try:
        reply = _ask(conn, ("hello", ident.fingerprint()))
    except (EOFError, OSError):
        conn.close()
        return None
    if reply[0] != "ok":
        conn.close()
        reasons, stale = reply[1], reply[2]
        what = "is out of date and exits" if stale else "was started in another environment"
        progress(f"warm: the warm server {what} ({'; '.join(reasons)}); running without it")
        return None
    info = reply[1]
    progress(f"warm: running on the warm server (pid {info['pid']}, {info['workers']} workers, "
             f"{info['ready']} with a kernel ready)")
    return WarmExecutor(conn, info)


@contextlib.contextmanager
def open_executor(dask: str | None, jobs: int | None = None,
                  progress: Callable[[str], None] = print) -> Iterator[cf.Executor | None]:
    """The warm server when it runs and is current (and ``--dask`` is not given), else ``executors.open_executor``."""
    ex = None if dask else attach(progress)
    if ex is None:
        with executors.open_executor(dask, jobs, progress) as other:
            yield other
        return
    try:
        yield ex
    finally:
        ex.shutdown()


# ------------------------------------------------------------------------------------ start, stop, status


def _server_pid() -> int | None:
    try:
        return int(json.loads(ident.info_path().read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


def _wait_gone(pid: int | None, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while pid and time.monotonic() < deadline:
        try:  # a server this process started stays a zombie (and answers kill 0) until it is reaped here
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.05)
    return not pid


def status() -> tuple[dict[str, Any] | None, list[str]]:
    """The running server's state and how it differs from this client (None when no server runs)."""
    conn = connect()
    if conn is None:
        return None, []
    try:
        _, info, reasons = _ask(conn, ("status", ident.fingerprint()))
    except (EOFError, OSError):
        return None, []
    finally:
        conn.close()
    return info, reasons


def stop() -> int | None:
    """Stop the running server and wait until it has exited; its pid, or None when none ran."""
    conn = connect()
    if conn is None:
        return None
    try:
        _, pid = _ask(conn, ("stop",))
    except (EOFError, OSError):
        pid = _server_pid()
    finally:
        conn.close()
    _wait_gone(pid)
    return pid


def start(jobs: int, idle_minutes: float, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Start a server for this output folder (or keep the current one) and wait until its workers are ready."""
    info, reasons = status()
    if info is not None and not reasons:
        progress(f"warm: already running (pid {info['pid']}, {info['workers']} workers)")
        return info
    if info is not None:
        if not ident.is_stale(reasons):
            raise ident.WarmError(f"a warm server (pid {info['pid']}) serves {info['output']} in another "
                                  f"environment ({'; '.join(reasons)}); `analysis warm stop` it first")
        progress(f"warm: stopping the out-of-date server (pid {info['pid']}: {'; '.join(reasons)})")
        stop()
    ident.make_folder()
    t0 = time.perf_counter()
    with open(ident.log_path(), "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "analysis.execution.warm_server", "--jobs", str(jobs),
                                 "--idle-minutes", str(idle_minutes)], cwd=paths.project_root(),
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = ident.log_path().read_text(errors="replace")[-1500:]
            raise ident.WarmError(f"the warm server exited at start (code {proc.returncode}); its log "
                                  f"{ident.log_path()} ends:\n{tail}")
        try:
            info, reasons = status()
        except (ident.WarmError, OSError, mpc.AuthenticationError):
            info = None  # still writing its key or binding its socket
        if info is not None and info["ready"] >= info["workers"] and info["hooks"]:
            progress(f"warm: server pid {info['pid']} ready for {info['output']}: {info['workers']} workers with "
                     f"a template kernel ({time.perf_counter() - t0:.1f} s); exits after {idle_minutes:g} min "
                     "idle; `analysis warm stop` stops it")
            return info
        time.sleep(0.1)
    raise ident.WarmError(f"the warm server did not get ready within {START_TIMEOUT:.0f} s (log: {ident.log_path()})")


def describe(info: dict[str, Any] | None, reasons: list[str]) -> str:
    """One paragraph for ``analysis warm status``."""
    if info is None:
        return f"warm: no warm server for {paths.output_dir()}"
    state = "current" if not reasons else ("OUT OF DATE (" if ident.is_stale(reasons) else
                                          "ANOTHER ENVIRONMENT (") + "; ".join(reasons) + ")"
    left = max(0.0, info["idle_seconds"] - info["idle_for"])
    return (f"warm: server pid {info['pid']} for {info['output']}, {state}: {info['workers']} workers "
            f"({info['ready']} ready), {info['running']} running, {info['queued']} queued, {info['done']} done; "
            f"exits after {left / 60:.1f} more min idle")
