"""Template kernels: one process imports the heavy modules once, and every kernel is a fork of it.

A worker of the runner's own pool starts a template (``python -m analysis.execution.template serve SOCKET``) with
the kernels' environment. The template imports the third-party modules the notebooks use (``PRELOAD``; never an
``analysis`` module, whose code may change under a run) and ipykernel, then waits on a Unix socket. For each
kernel, jupyter_client starts the small launcher (``... template launch SOCKET -f CONNECTION_FILE``) in place of
ipykernel: the launcher sends its working directory and environment, the template forks, and the child — modules
imported, nothing executed, a clean kernel — becomes the ipykernel for that connection file. The launcher relays
interrupts and exits with the kernel; the kernel exits when its launcher is gone (killed by jupyter_client or with
the worker), and the template dies with its worker.

The worker's side (``start``, ``socket_for``, ``stop_all``) keeps one template per kernel environment in
``RUNNING``. The runner's pool starts it with each worker, while the client still runs the validate hooks (it
imports modules and runs no notebook code); a task waits for a template that is still importing
(``WAIT``), since a fork of it is ready sooner than a fresh kernel importing the same modules again on the
same cores.
"""

from __future__ import annotations

import builtins
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
import uuid
from pathlib import Path

# Imported once by the template (each kernel skips this work); a module that is not installed is skipped. The
# second line is what ipykernel imports while a kernel initialises (its kernel and shell classes, the debugger
# with debugpy, the history's sqlite3): 0.15 CPU-s a kernel. Those modules compute nothing per process at import.
PRELOAD = ("numpy", "pandas", "pyarrow.parquet", "matplotlib", "matplotlib.pyplot", "scipy.stats",
           "statsmodels.api", "seaborn", "ipykernel.kernelapp",
           "ipykernel.ipkernel", "ipykernel.debugger", "IPython.core.completerlib", "IPython.core.debugger",
           "IPython.core.oinspect", "IPython.extensions.storemagic", "sqlite3", "tornado.gen", "tornado.locks",
           "tornado.queues", "tornado.platform.asyncio", "http.server", "mimetypes")


# The template runs this file as a script, not as ``-m analysis.execution.template``: that would import the
# ``analysis`` and ``analysis.execution`` packages into every fork, so a notebook's own import of them would be
# neither fresh nor seen by the read audit.
RUN_AS_SCRIPT = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"

RUNNING: dict[tuple, tuple] = {}  # in a worker: kernel environment -> (template process, its socket path)
WAIT = 60.0  # seconds a task waits for its template's imports before starting a kernel of its own
_LOCK = threading.Lock()


def start(env: dict[str, str]) -> None:
    """Start (in the background) this worker's template for kernels with ``env``, unless one runs already."""
    key = tuple(sorted(env.items()))
    with _LOCK:
        proc, _ = RUNNING.get(key, (None, ""))
        if proc is None or proc.poll() is not None:
            sock = str(Path(tempfile.gettempdir()) / f"sangaku-template-{uuid.uuid4().hex[:16]}")
            proc = subprocess.Popen([sys.executable, "-c", RUN_AS_SCRIPT, __file__, "serve", sock, str(os.getpid())],
                                    env={**os.environ, **env}, start_new_session=True,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            RUNNING[key] = (proc, sock)


def socket_for(env: dict[str, str], *, start_one: bool = False, wait: float | None = None) -> str | None:
    """The socket of the template for ``env`` once it is ready, waiting up to ``wait`` (default ``WAIT``)
    seconds while it imports; with ``start_one`` it is started when there is none. None without a template or
    when it failed (the caller then starts a kernel of its own)."""
    key = tuple(sorted(env.items()))
    if start_one:
        start(env)
    with _LOCK:
        proc, sock = RUNNING.get(key, (None, ""))
    if proc is None:
        return None
    deadline = time.monotonic() + (WAIT if wait is None else wait)
    while not Path(sock + ".ready").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            return None
        time.sleep(0.02)
    return sock if proc.poll() is None else None


def stop_all(*, wait: bool = True) -> None:
    """Kill every template of this worker and remove its socket (``wait=False`` in a signal handler)."""
    if wait:
        with _LOCK:
            items = list(RUNNING.values())
            RUNNING.clear()
    else:  # in a signal handler, whose interrupted thread may hold the lock
        items = list(RUNNING.values())
    for proc, sock in items:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
            if wait:
                proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for f in (sock, sock + ".ready"):
            Path(f).unlink(missing_ok=True)


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"  # a zombie is dead
    except OSError:
        return False


def _kernel(conn: socket.socket, request: dict) -> None:
    """In the forked child: become the kernel of ``request``; exit when its launcher is gone."""
    os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    launcher = int(request["launcher"])

    def watch() -> None:
        while _alive(launcher):
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    from ipykernel.kernelapp import IPKernelApp

    sys.argv = ["ipykernel_launcher", *request["argv"]]
    IPKernelApp.launch_instance(argv=request["argv"])
    os._exit(0)


def serve(path: str, parent: int | None = None) -> None:
    """The template: import ``PRELOAD``, then fork one kernel per request on the socket at ``path``; it exits
    at once when its worker ``parent`` is already gone (it died before the death signal was asked for: a pool
    stopped by a failing validate hook while its workers start their templates)."""
    _die_with_parent()
    if parent is not None and os.getppid() != parent:
        os._exit(0)
    # Some libraries decide defaults at import by asking whether they run in a Jupyter kernel (pandas: at most 20
    # columns printed in a kernel, the terminal's width elsewhere); they must decide as in a kernel, so the
    # question gets a kernel's answer while they are imported.
    builtins.get_ipython = lambda: types.SimpleNamespace(kernel=True)  # type: ignore[attr-defined]
    try:
        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except ImportError:
                pass
    finally:
        del builtins.get_ipython  # type: ignore[attr-defined]
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    Path(path + ".ready").write_text(str(os.getpid()))
    while True:
        conn, _ = server.accept()
        with conn:
            request = json.loads(conn.makefile("r", encoding="utf-8").readline())
            pid = os.fork()
            if pid == 0:
                server.close()
                _kernel(conn, request)
            conn.sendall(f"{pid}\n".encode())


def launch(path: str, argv: list[str]) -> int:
    """The launcher jupyter_client starts: ask the template for a kernel, relay signals, exit with it."""
    _die_with_parent()
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    request = {"cwd": os.getcwd(), "env": dict(os.environ), "argv": argv, "launcher": os.getpid()}
    client.sendall((json.dumps(request) + "\n").encode())
    pid = int(client.makefile("r").readline())
    client.close()

    def relay(signum, frame):
        try:
            os.kill(pid, signal.SIGINT if signum == signal.SIGINT else signal.SIGKILL)
        except OSError:
            pass
        if signum != signal.SIGINT:
            os._exit(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, relay)
    while _alive(pid):
        time.sleep(0.1)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None)
    else:
        sys.exit(launch(sys.argv[2], sys.argv[3:]))
