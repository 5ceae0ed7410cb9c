"""The worker: the only code shipped to an executor. Executes one task with papermill in a fresh kernel.

A worker needs the environment (this package and the ``sangaku`` kernel) but none of the client's files: each
task runs in a temporary project directory of its own — ``notebooks/`` (the kernel's working directory),
``data/processed``, ``data/raw``, ``.files`` (file parameters) and
``output/`` — filled from the task's inputs (bytes by sha256, or links to the client's files when both share a
filesystem), and the executed notebook and output files go back in the :class:`~.jobs.Result`. The worker
checks that its own ``analysis`` modules and package data are the ones the client's cache key holds. Environment
variables go to the kernel only; the worker's own environment is never changed.

Kernels talk to the worker over IPC sockets (no TCP port, so no unencrypted-transport warning) and die with the
worker (ipykernel polls its parent). Only tasks marked ``prewarm`` (the runner's own process pool) start the
next kernel ahead. Each worker of that pool starts its template (``template``) as it starts, when more jobs
follow than there are workers: once it has imported the heavy modules, kernels are forks of it, so each
notebook skips that import work, and a task waits for a template still importing. A single run starts no
template: each worker starts a plain kernel while the client validates (``warm_up``). Kernels and their clients
come from ``kernels``. A kernel is killed as soon as its notebook is done.
Workers of the runner's own pool ignore
Ctrl-C (the parent handles it) and die with the parent (``PR_SET_PDEATHSIG``); on SIGTERM they kill their
kernels at once and remove their directories.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import multiprocessing.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from .. import inputs
from . import codegraph, template
from .executed import failing_line, normalise
from .layout import SHARED_CACHES
from .jobs import Result, Task

_WARM: dict[tuple, Any] = {}  # kernels started ahead, per worker: startup overlaps the previous notebook
_LIVE: set = set()  # every kernel this process started and has not stopped (killed on SIGTERM)
_SPACES: dict[tuple[int, int], Path] = {}  # (pid, thread) -> its project directory
_TEMPLATES = template.RUNNING  # kernel environment -> (template process, its socket): see ``template``
start_template = template.start
_LOCK = threading.Lock()


def _import_nbformat():
    from ..nbimport import nbformat  # without jsonschema's IRI grammar (~1.9 s per process)

    return nbformat()


# ----------------------------------------------------------------------------------------- directories


def _workspace() -> Path:
    """This thread's project directory (kept while a kernel started ahead waits in it)."""
    ident = (os.getpid(), threading.get_ident())
    with _LOCK:
        ws = _SPACES.get(ident)
        if ws is None or not ws.is_dir():
            ws = Path(tempfile.mkdtemp(prefix="sangaku-job-"))
            _SPACES[ident] = ws
    (ws / "notebooks").mkdir(exist_ok=True)
    return ws


def _clear(ws: Path) -> None:
    """Empty the directory but keep ``notebooks/``: a kernel started ahead has it as working directory."""
    for child in ws.iterdir():
        target = child if child.name != "notebooks" else None
        for p in ([target] if target else list(child.iterdir())):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def _remove_workspace(ws: Path) -> None:
    with _LOCK:
        for k, v in list(_SPACES.items()):
            if v == ws:
                del _SPACES[k]
    shutil.rmtree(ws, ignore_errors=True)


def _materialise(task: Task, ws: Path, blobs: dict[str, bytes]) -> None:
    """Put every input where the kernel's ``analysis.paths`` looks for it."""
    for item in task.inputs:
        dest = ws / item.dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        data = blobs.get(item.sha256)
        if data is not None:
            if hashlib.sha256(data).hexdigest() != item.sha256:
                raise RuntimeError(f"input {item.dest}: content does not match its sha256 {item.sha256[:12]}")
            dest.write_bytes(data)
        elif Path(item.source).is_file():  # same machine as the client: link, never copy
            os.symlink(item.source, dest)
        else:
            raise RuntimeError(f"input {item.dest} (sha256 {item.sha256[:12]}) is neither in the task nor at "
                               f"{item.source} on this worker; an executor without the client's files needs "
                               "the inputs shipped with the task")


def _link_shared_caches(task: Task, ws: Path) -> None:
    """Point the kernel's ``output/.cache/<name>`` at the client's (``layout.SHARED_CACHES``), when the task
    names a client cache folder this worker can reach; else the kernel keeps a cache of its own."""
    if not task.shared_cache or not Path(task.shared_cache).is_dir():
        return
    for name in SHARED_CACHES:
        target = Path(task.shared_cache) / name
        target.mkdir(exist_ok=True)
        link = ws / "output" / ".cache" / name
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, link)


def _check_installed(task: Task) -> None:
    """Refuse to run with ``analysis`` modules or package data other than those the client's key holds."""
    differ = []
    for rel, digest in sorted(task.code.items()):
        file = codegraph.PACKAGE_DIR / rel
        if not file.is_file() or hashlib.sha256(file.read_bytes()).hexdigest() != digest:
            differ.append(rel)
    if differ:
        raise RuntimeError(f"this worker's analysis package differs from the client's in {', '.join(differ)} "
                           f"(installed at {codegraph.PACKAGE_DIR}); install the same version on every worker")


def _worker_parameters(task: Task, ws: Path) -> dict[str, Any]:
    params = dict(task.parameters)
    if task.redirect_output_dir:
        params["output_dir"] = str(ws / "output" / task.worker_folder)
    for name, dest in task.file_params.items():
        params[name] = str(ws / dest)
    return params


def _collect(ws: Path, task: Task) -> dict[str, bytes]:
    folder = ws / "output" / task.worker_folder
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


# -------------------------------------------------------------------------------------------- kernels


def _kernel_env(task: Task, ws: Path) -> dict[str, str]:
    return {**task.env, "SANGAKU_ROOT": str(ws), "SANGAKU_OUTPUT": str(ws / "output"),
            inputs.ENV_DECLARED: str(ws / ".declared.json")}


def _warm_key(task: Task, ws: Path) -> tuple:
    return (task.kernel, str(ws), tuple(sorted(_kernel_env(task, ws).items())))


def _template_socket(task: Task) -> str | None:
    """The socket of this worker's template for ``task``'s environment (``template.socket_for``); a task that
    says more follow starts one when there is none."""
    return template.socket_for(task.env, start_one=task.prewarm)


def _kernel_manager(task: Task, ipc: Path):
    from .kernels import Manager, TemplateManager

    sock = _template_socket(task)
    options = dict(kernel_name=task.kernel, transport="ipc", ip=str(ipc))
    return Manager(**options) if sock is None else TemplateManager(sock, **options)


def _start_kernel(task: Task, ws: Path | None = None):
    from jupyter_core.utils import run_sync

    from .kernels import KERNEL_ARGS

    ws = ws or _workspace()
    # IPC sockets need an absolute path of < 108 bytes.
    ipc = Path(tempfile.gettempdir()) / f"sangaku-kernel-{uuid.uuid4().hex[:16]}"
    km = _kernel_manager(task, ipc)
    run_sync(km.start_kernel)(cwd=str(ws / "notebooks"), env={**os.environ, **_kernel_env(task, ws)},
                              extra_arguments=list(KERNEL_ARGS))
    with _LOCK:
        _LIVE.add(km)
    return km


def _stop_kernel(km) -> None:
    """Kill at once: the notebook is done and its files are written, so a graceful shutdown only costs time.

    The process is killed and reaped here first (a launcher on SIGTERM kills its forked kernel and exits; an
    ipykernel's process group gets SIGKILL): jupyter_client's own kill would interrupt it, then poll every 0.1 s
    until it has gone, with the notebook's result waiting."""
    from jupyter_core.utils import run_sync

    proc = getattr(getattr(km, "provisioner", None), "process", None)
    if proc is not None and proc.poll() is None:
        try:
            if getattr(km, "relays_kill", False):
                os.kill(proc.pid, signal.SIGTERM)
            else:
                os.killpg(proc.pid, signal.SIGKILL)  # kernels run in their own session
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):  # gone already, or stuck: jupyter_client kills it below
            pass
    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # already gone: nothing to clean up
        pass
    km.close_clients()
    with _LOCK:
        _LIVE.discard(km)


def _kill_kernels_now() -> None:
    """SIGKILL every live kernel's process group (no event loop needed: safe in a signal handler)."""
    for km in list(_LIVE):
        pid = getattr(getattr(km, "provisioner", None), "pid", None)
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)  # kernels run in their own session
            except OSError:
                pass


def shutdown_warm_kernels() -> None:
    """Stop kernels started ahead for notebooks that never came, and remove this process's directories."""
    with _LOCK:
        kms = list(_WARM.values())
        _WARM.clear()
        spaces = [ws for (pid, _), ws in _SPACES.items() if pid == os.getpid()]
    for km in kms:
        _stop_kernel(km)
    for ws in spaces:
        _remove_workspace(ws)
    template.stop_all()


atexit.register(shutdown_warm_kernels)
multiprocessing.util.Finalize(None, shutdown_warm_kernels, exitpriority=10)  # pool workers skip atexit


def _on_sigterm(signum, frame) -> None:
    _kill_kernels_now()
    template.stop_all(wait=False)
    for ws in list(_SPACES.values()):
        shutil.rmtree(ws, ignore_errors=True)
    os._exit(128 + signum)


def init_pool_worker(env: dict[str, str] | None = None) -> None:
    """Initializer of the runner's process pool: ignore Ctrl-C, die with the parent, clean up on SIGTERM; with
    ``env`` (the jobs' kernel environment) start this worker's template at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent still terminates its workers on exit
        pass
    if env is not None:
        template.start(env)


def _take_kernel(task: Task, ws: Path):
    from jupyter_core.utils import run_sync

    with _LOCK:
        km = _WARM.pop(_warm_key(task, ws), None)
    if km is not None and not run_sync(km.is_alive)():
        km = None
    km = km or _start_kernel(task, ws)
    if task.prewarm:
        _park(task, ws, _start_kernel(task, ws))
    return km


def _park(task: Task, ws: Path, km) -> None:
    """Keep ``km`` as the kernel started ahead for ``task``'s kernel, directory and environment (stopping the one
    it replaces)."""
    with _LOCK:
        old = _WARM.pop(_warm_key(task, ws), None)
        _WARM[_warm_key(task, ws)] = km
    if old is not None:
        _stop_kernel(old)


def warm_up(kernel: str | None = None, env: dict[str, str] | None = None) -> None:
    """Import what :func:`execute_job` needs (submitted to the runner's pool while the client validates); with
    ``kernel`` and ``env`` (a run with no more notebooks than workers, so no template), also start a plain
    kernel ahead in this worker's directory: it runs no notebook code until a task that passed the hooks
    takes it, and a failing hook stops the pool, which kills it."""
    _import_nbformat()
    import papermill  # noqa: F401
    from jupyter_client.manager import AsyncKernelManager  # noqa: F401

    if kernel is not None and env is not None:
        probe = Task(name="", out_name="", notebook="", parameters={}, kernel=kernel, inputs=(), file_params={},
                     redirect_output_dir=False, worker_folder="", declared={}, env=dict(env), code={},
                     prewarm=False)
        ws = _workspace()
        (ws / ".declared.json").write_text("{}")  # the launcher imports analysis, whose read log reads this file
        _park(probe, ws, _start_kernel(probe, ws))


def prepare(kernel: str, env: dict[str, str], *, wait: float = 120.0) -> bool:
    """Start this worker's template for kernels with ``env`` and, once it is ready, a kernel ahead in this
    thread's directory, so that the next task with that kernel and environment finds a forked kernel waiting
    (the warm server primes its long-lived workers so). False when the template was not ready within ``wait``
    seconds (the next task then starts a kernel of its own)."""
    probe = Task(name="", out_name="", notebook="", parameters={}, kernel=kernel, inputs=(), file_params={},
                 redirect_output_dir=False, worker_folder="", declared={}, env=dict(env), code={}, prewarm=True)
    deadline = time.monotonic() + wait
    while _template_socket(probe) is None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    ws = _workspace()
    (ws / ".declared.json").write_text("{}")  # the launcher imports analysis, whose read log reads this file
    _park(probe, ws, _start_kernel(probe, ws))
    return True


def execute_job(task: Task, blobs: dict[str, bytes] | None = None) -> Result:
    """Execute one task with papermill in its own directory; never raises (failures come back as a ``Result``).

    Returns the executed notebook (normalised text) and the files of its output folder; a failed run returns its
    executed copy for inspection. Nothing is left behind: the kernel is killed, the directory removed (kept only
    while a kernel started ahead waits in it).
    """
    nbformat = _import_nbformat()
    import papermill
    from papermill.exceptions import PapermillExecutionError

    # The runner has checked the parameters itself (papermill's own parser misreads lines with "#" and "=" and
    # warns about parameters it could not find); its failures come back in the Result.
    logging.getLogger("papermill").setLevel(logging.ERROR)

    t0 = time.perf_counter()
    phases: dict[str, float] = {}
    ws = _workspace()
    _clear(ws)
    src = ws / "notebooks" / f"{task.name}.ipynb"
    tmp = ws / "notebooks" / f".{task.name}.executed.ipynb"

    def executed_text() -> str:
        if not tmp.exists():
            return ""
        return nbformat.writes(normalise(nbformat.read(tmp, as_version=4), task.parameters, task.kernel)) + "\n"

    km = None
    try:
        _check_installed(task)
        _materialise(task, ws, blobs or {})
        _link_shared_caches(task, ws)
        (ws / ".declared.json").write_text(json.dumps(task.declared, sort_keys=True, ensure_ascii=False))
        src.write_text(task.notebook, encoding="utf-8")
        phases["inputs"] = time.perf_counter() - t0
        km = _take_kernel(task, ws)
        phases["kernel"] = time.perf_counter() - t0 - phases["inputs"]
        papermill.execute_notebook(
            str(src), str(tmp), parameters=_worker_parameters(task, ws) or None, kernel_name=task.kernel,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            execution_timeout=task.timeout, resources={"metadata": {"path": str(ws / "notebooks")}}, km=km,
        )
        phases["execute"] = time.perf_counter() - t0 - phases["inputs"] - phases["kernel"]
        text, files = executed_text(), _collect(ws, task)
        return Result(task.out_name, True, time.perf_counter() - t0, notebook=text, files=files, phases=phases)
    except PapermillExecutionError as exc:
        line = failing_line(exc.source or "", exc.exec_count, exc.traceback or [])
        msg = (f"{task.out_name}: cell {exc.cell_index} (execution count {exc.exec_count}) raised {exc.ename}: "
               f"{exc.evalue}" + (f" — at line {line[0]}: `{line[1][:80]}`" if line else ""))
        return Result(task.out_name, False, time.perf_counter() - t0, msg, exc.cell_index, exc.ename,
                      str(exc.evalue), notebook=executed_text())
    except Exception as exc:  # kernel death, timeout, missing kernel or input: report, let the others finish
        msg = f"{task.out_name}: {type(exc).__name__}: {exc}"
        try:
            kept = executed_text()
        except Exception:  # a half-written executed copy: nothing to keep
            kept = ""
        return Result(task.out_name, False, time.perf_counter() - t0, msg, None, type(exc).__name__, str(exc),
                      notebook=kept)
    finally:
        if km is not None:
            _stop_kernel(km)
        if task.prewarm:
            _clear(ws)  # the next task of this worker starts in the same (empty) directory
        else:
            _remove_workspace(ws)
