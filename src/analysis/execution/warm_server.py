"""The warm server: long-lived workers with papermill imported and a template kernel ready, between commands.

``analysis warm start`` runs ``python -m analysis.execution.warm_server`` in a session of its own. It computes
its fingerprint first (``warm_identity``), listens on ``output/.cache/warm/socket`` (0600, in a 0700 folder;
clients authenticate with the 0600 ``authkey`` before anything is unpickled) and starts ``--jobs`` worker
processes. Each worker imports papermill, starts its template (``template``: a process that imported the heavy
modules once and forks one clean kernel per notebook) and a kernel ahead, then executes tasks with
``worker.execute_job`` — the same function the runner's own pool runs — always starting the next kernel ahead.

Messages (tuples, on an authenticated connection): ``hello FINGERPRINT`` (a difference in code, package data,
packages, kernel or interpreter is refused and the server exits; one in the environment is refused), ``hooks``
(the notebooks' validate hooks, run here so that the client imports no figure module; imported and called with
the defaults once at start), ``submit ID TASK BLOBS``
(answered by ``result ID RESULT`` when done), ``cancel`` (this client's queued jobs are dropped and the workers
running its jobs are replaced: their kernels die with them), ``status`` and ``stop``. A client that disconnects
is cancelled. The server exits after ``--idle-minutes`` without a message or a job (default 15), on ``stop`` or
SIGTERM; its workers, templates and kernels die with it.
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import json
import multiprocessing
import multiprocessing.connection as mpc
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from .. import io
from . import warm_identity as ident
from .jobs import Result, Task
from .layout import KERNEL_NAME

DEFAULT_IDLE_MINUTES = 15.0


def _worker_main(conn, kernel: str, env: dict[str, str]) -> None:
    """One long-lived worker: primed once, then one task at a time until its pipe closes."""
    from . import worker

    worker.init_pool_worker()  # ignores Ctrl-C, dies with the server, kills its kernels on SIGTERM
    worker.warm_up()
    primed = worker.prepare(kernel, env)
    conn.send(("ready", os.getpid(), primed))
    while True:
        try:
            job_id, task, blobs = conn.recv()
        except (EOFError, OSError):
            break
        conn.send((job_id, worker.execute_job(task, blobs)))
    worker.shutdown_warm_kernels()


@dataclasses.dataclass
class _Client:
    conn: Any
    ident: int
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    greeted: bool = False

    def send(self, msg: tuple) -> None:
        with self.lock:
            try:
                self.conn.send(msg)
            except (OSError, ValueError):  # the client is gone; its jobs are cancelled by its own thread
                pass


@dataclasses.dataclass
class _Job:
    client: _Client
    job_id: int
    task: Task
    blobs: dict


class Server:
    """The listener, the queue of jobs and the worker slots (see the module docstring)."""

    def __init__(self, jobs: int, idle_seconds: float):
        self.fingerprint = ident.fingerprint()  # first: what this process and its workers are about to load
        self.jobs, self.idle_seconds = jobs, idle_seconds
        self.started = time.time()
        self.last_active = time.monotonic()
        self.stop = threading.Event()
        self.cond = threading.Condition()
        self.queue: list[_Job] = []
        self.running: dict[int, _Job] = {}  # slot -> job
        self.procs: dict[int, Any] = {}  # slot -> worker process
        self.ready: dict[int, bool] = {}  # slot -> primed and waiting
        self.done = 0
        self.hooks_loaded = threading.Event()
        self.env = ident.kernel_env()
        self.ctx = multiprocessing.get_context("spawn")  # a clean interpreter per worker, even when replaced

    # ------------------------------------------------------------------------------------------ workers

    def _spawn(self, slot: int):
        from . import warm_server as module  # by its real name, so that spawned children can import the target

        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=module._worker_main, args=(child, KERNEL_NAME, self.env), daemon=False)
        proc.start()
        child.close()
        with self.cond:
            self.procs[slot], self.ready[slot] = proc, False
        try:
            parent.recv()  # ("ready", pid, primed)
        except (EOFError, OSError):
            return None
        with self.cond:
            self.ready[slot] = True
            self.last_active = time.monotonic()
        return parent

    def _slot(self, slot: int) -> None:
        """Feed one worker from the queue; replace it when it dies (or was stopped for a cancelled job)."""
        conn = self._spawn(slot)
        while not self.stop.is_set():
            if conn is None:
                time.sleep(1)  # a worker that cannot start: try again, slowly
                conn = self._spawn(slot)
                continue
            with self.cond:
                while not self.queue and not self.stop.is_set():
                    self.cond.wait(1)
                if self.stop.is_set():
                    return
                job = self.queue.pop(0)
                self.running[slot] = job
            try:
                conn.send((job.job_id, dataclasses.replace(job.task, prewarm=True), job.blobs))
                _, res = conn.recv()
            except (EOFError, OSError):
                res = None
            with self.cond:
                cancelled = self.running.pop(slot, None) is None
                self.done += res is not None and not cancelled
                self.last_active = time.monotonic()
            if res is None:
                if not cancelled:
                    job.client.send(("result", job.job_id, Result(job.task.out_name, False, 0.0,
                                                                  f"{job.task.out_name}: warm worker died")))
                self._retire(slot)
                conn = self._spawn(slot)
            elif not cancelled:
                job.client.send(("result", job.job_id, res))

    def _retire(self, slot: int) -> None:
        proc = self.procs.get(slot)
        if proc is not None and proc.is_alive():
            proc.terminate()  # SIGTERM: the worker kills its kernels and template and exits
            proc.join(5)
            if proc.is_alive():
                proc.kill()
        if proc is not None:
            proc.join(1)

    def cancel(self, client: _Client) -> int:
        """Drop the client's queued jobs and stop the workers running its jobs (replaced by their slots)."""
        with self.cond:
            before = len(self.queue)
            self.queue = [j for j in self.queue if j.client is not client]
            n = before - len(self.queue)
            slots = [s for s, j in self.running.items() if j.client is client]
            for s in slots:
                del self.running[s]
        for s in slots:
            proc = self.procs.get(s)
            if proc is not None and proc.is_alive():
                proc.terminate()  # its slot sees the pipe close, joins it and starts a fresh worker
        return n + len(slots)

    # ------------------------------------------------------------------------------------------ clients

    def info(self) -> dict[str, Any]:
        with self.cond:
            busy = bool(self.queue or self.running)
            return {"pid": os.getpid(), "started": self.started, "workers": self.jobs,
                    "ready": sum(self.ready.values()), "queued": len(self.queue), "running": len(self.running),
                    "done": self.done, "hooks": self.hooks_loaded.is_set(), "idle_seconds": self.idle_seconds,
                    "idle_for": 0.0 if busy else time.monotonic() - self.last_active,
                    "output": self.fingerprint["folders"]["output"]}

    def _hooks(self, items: list[tuple[str, dict]]) -> tuple | None:
        from .params import run_hook
        from .specs import load_notebook, load_specs

        try:
            specs = load_specs()
            for path, overrides in items:
                run_hook(load_notebook(Path(path), specs), overrides)
        except Exception as exc:  # sent back and raised again in the client, as the cold path would
            attrs = {k: v for k, v in vars(exc).items() if isinstance(v, (str, int, float, list, type(None)))}
            return (type(exc).__name__, str(exc), attrs)
        return None

    def _preload_hooks(self) -> None:
        """Import every notebook's validate hook and call it with the defaults once (pandas, the figure
        modules, the parquet reader), so the first command's hooks do not pay for it; failures are left to
        the commands, which report them."""
        from .params import run_hook
        from .specs import discover, load_notebook, load_specs

        try:
            specs = load_specs()
            notebooks = [load_notebook(p, specs) for p in discover().values()]
        except Exception:
            notebooks = []
        for nb in notebooks:
            try:
                run_hook(nb, {})
            except Exception:
                pass
        self.hooks_loaded.set()

    def _serve_client(self, client: _Client) -> None:
        try:
            while not self.stop.is_set():
                try:
                    msg = client.conn.recv()
                except (EOFError, OSError):
                    break
                self.last_active = time.monotonic()
                kind = msg[0]
                if kind == "hello":
                    reasons = ident.differences(self.fingerprint, msg[1])
                    stale = ident.is_stale(reasons)
                    client.greeted = not reasons
                    client.send(("ok", self.info()) if not reasons else ("refused", reasons, stale))
                    if stale:
                        self.stop.set()  # out of date for every client: exit
                elif kind == "status":
                    reasons = ident.differences(self.fingerprint, msg[1]) if len(msg) > 1 else []
                    client.send(("status", self.info(), reasons))
                elif kind == "stop":
                    client.send(("stopping", os.getpid()))
                    self.stop.set()
                elif not client.greeted:
                    client.send(("refused", ["no hello: send the fingerprint first"], False))
                elif kind == "hooks":
                    client.send(("hooks", self._hooks(msg[1])))
                elif kind == "submit":
                    _, job_id, task, blobs = msg
                    if not isinstance(task, Task):
                        client.send(("result", job_id, Result("?", False, 0.0, "not a task")))
                        continue
                    with self.cond:
                        self.queue.append(_Job(client, job_id, task, blobs or {}))
                        self.cond.notify()
                elif kind == "cancel":
                    client.send(("cancelled", self.cancel(client)))
        finally:
            self.cancel(client)
            client.conn.close()

    def _accept(self, listener) -> None:
        n = 0
        while not self.stop.is_set():
            try:
                conn = listener.accept()  # the HMAC challenge comes first: a wrong key never reaches recv()
            except (mpc.AuthenticationError, EOFError, OSError) as exc:
                print(f"refused a connection: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                continue
            n += 1
            threading.Thread(target=self._serve_client, args=(_Client(conn, n),), daemon=True).start()

    # ------------------------------------------------------------------------------------------ lifetime

    def run(self) -> None:
        ident.make_folder()
        lock = open(ident.folder() / "server.lock", "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("another warm server serves this output folder", file=sys.stderr, flush=True)
            return
        key = ident.new_key()
        sock = ident.socket_path()
        sock.unlink(missing_ok=True)
        old = os.umask(0o177)
        try:
            listener = mpc.Listener(str(sock), family="AF_UNIX", authkey=key)
        finally:
            os.umask(old)
        os.chmod(sock, 0o600)
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        io.write_text(ident.info_path(), json.dumps({"pid": os.getpid(), "started": self.started,
                                                     "workers": self.jobs, "idle_seconds": self.idle_seconds}) + "\n")
        for slot in range(self.jobs):
            threading.Thread(target=self._slot, args=(slot,), daemon=True).start()
        threading.Thread(target=self._preload_hooks, daemon=True).start()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        try:
            while not self.stop.wait(0.5):
                info = self.info()
                if info["ready"] < self.jobs:  # idle time counts once every worker is ready
                    idle = time.monotonic() - self.last_active > self.idle_seconds + 600  # one never gets ready
                else:
                    idle = info["idle_for"] > self.idle_seconds
                if idle:
                    print(f"idle for {info['idle_for']:.0f} s: exiting", file=sys.stderr, flush=True)
                    break
        finally:
            self.stop.set()
            with self.cond:
                self.cond.notify_all()
            for slot in list(self.procs):
                self._retire(slot)
            for p in (sock, ident.key_path(), ident.info_path()):
                p.unlink(missing_ok=True)
            lock.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analysis.execution.warm_server")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--idle-minutes", type=float, default=DEFAULT_IDLE_MINUTES)
    args = ap.parse_args(argv)
    try:
        Server(max(1, args.jobs), args.idle_minutes * 60).run()
    except Exception:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the threads blocked on the listener and the clients' connections end with the process
