"""The worker: the only code shipped to an executor. Executes one notebook with papermill in a fresh kernel.

Kernels talk to the worker over IPC sockets (no TCP port, so no unencrypted-transport warning), get their
declared inputs from a per-worker file, and die with the worker (ipykernel polls its parent). Workers of the
runner's own pool ignore Ctrl-C (the parent handles it) and die with the parent (``PR_SET_PDEATHSIG``); on
SIGTERM they kill their kernels at once and remove their temporary notebook.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing.util
import os
import re
import signal
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from .. import inputs, io
from . import layout
from .jobs import Job, Result

_WARM: dict[tuple, Any] = {}  # kernels started ahead, per worker: startup overlaps the previous notebook
_LIVE: set = set()  # every kernel this process started and has not stopped (killed on SIGTERM)
_TEMPS: set[Path] = set()
_LOCK = threading.Lock()


def _declared_file() -> Path:
    return layout.cache_dir() / "declared" / f"{os.getpid()}-{threading.get_ident()}.json"


def _kernel_env(job: Job) -> dict[str, str]:
    return {**job.env, inputs.ENV_DECLARED: str(_declared_file())}


def _warm_key(job: Job) -> tuple:
    return (job.kernel, job.cwd, tuple(sorted(_kernel_env(job).items())))


def _start_kernel(job: Job):
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    # IPC sockets need an absolute path (the kernel runs in notebooks/, the client elsewhere) of < 108 bytes.
    ipc = Path(tempfile.gettempdir()) / f"sangaku-kernel-{uuid.uuid4().hex[:16]}"
    km = AsyncKernelManager(kernel_name=job.kernel, transport="ipc", ip=str(ipc))
    run_sync(km.start_kernel)(cwd=job.cwd, env={**os.environ, **_kernel_env(job)})
    with _LOCK:
        _LIVE.add(km)
    return km


def _stop_kernel(km, now: bool = False) -> None:
    from jupyter_core.utils import run_sync

    try:
        run_sync(km.shutdown_kernel)(now=now)
    except Exception:  # already gone: nothing to clean up
        pass
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
    """Stop kernels started ahead for notebooks that never came (end of a run, or on exit)."""
    with _LOCK:
        kms = list(_WARM.values())
        _WARM.clear()
    for km in kms:
        _stop_kernel(km, now=True)


atexit.register(shutdown_warm_kernels)
multiprocessing.util.Finalize(None, shutdown_warm_kernels, exitpriority=10)  # pool workers skip atexit


def _on_sigterm(signum, frame) -> None:
    _kill_kernels_now()
    for tmp in list(_TEMPS):
        tmp.unlink(missing_ok=True)
    os._exit(128 + signum)


def init_pool_worker() -> None:
    """Initializer of the runner's process pool: ignore Ctrl-C, die with the parent, clean up on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent still terminates its workers on exit
        pass


def _take_kernel(job: Job):
    from jupyter_core.utils import run_sync

    with _LOCK:
        km = _WARM.pop(_warm_key(job), None)
    if km is not None and not run_sync(km.is_alive)():
        km = None
    km = km or _start_kernel(job)
    if job.prewarm:
        nxt = _start_kernel(job)
        with _LOCK:
            old = _WARM.pop(_warm_key(job), None)
            _WARM[_warm_key(job)] = nxt
        if old is not None:
            _stop_kernel(old, now=True)
    return km


def coalesce_streams(cell) -> None:
    """Merge consecutive stream outputs of the same name, so how the kernel flushed never changes the bytes."""
    merged: list = []
    for out in cell.get("outputs", []):
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None and prev.get("output_type") == "stream"
                and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    cell["outputs"] = merged


def normalise(nb):
    """Strip volatile metadata, merge split streams and give papermill's cells fixed ids (equal runs, equal bytes)."""
    from ..nbtools import strip_volatile

    nb = strip_volatile(nb)
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code":
            coalesce_streams(cell)
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags:
            cell["id"] = "injected-parameters"
        elif "papermill-error-cell-tag" in tags:
            cell["id"] = f"papermill-error-{i}"
    return nb


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"(?:Cell In|Input In)\s*\[(\d+)\],\s*line (\d+)")


def failing_line(source: str, exec_count: int | None, traceback: list[str]) -> tuple[int, str] | None:
    """(line number, text) of the line of a cell that raised, from IPython's traceback frames.

    The innermost frame of the failing cell (``Cell In[<execution count>], line <n>``) names the line; ``None``
    when no frame of this cell is found (e.g. an error raised before the cell ran), so nothing wrong is quoted.
    """
    if exec_count is None:
        return None
    found = None
    for frame in traceback:
        for m in _CELL_FRAME.finditer(_ANSI.sub("", frame)):
            if int(m.group(1)) == exec_count:
                found = int(m.group(2))
    lines = source.splitlines()
    if found is None or not 1 <= found <= len(lines) or not lines[found - 1].strip():
        return None
    return found, lines[found - 1].strip()


def _write_parameters(job: Job) -> None:
    folder = Path(job.folder)
    if job.record_parameters and folder.is_dir():
        doc = {"notebook": job.name, "run": job.out_name, "parameters": job.parameters,
               "command": "analysis run " + job.name + "".join(
                   f" -p {k} {json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v}"
                   for k, v in sorted(job.parameters.items()) if k != "output_dir")}
        io.write_text(folder / "PARAMETERS.json", json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def execute_job(job: Job) -> Result:
    """Execute one notebook with papermill; never raises (failures come back as a ``Result``).

    papermill writes to a temporary file beside the target; the normalised notebook then replaces the executed
    copy atomically, so an interrupted run never leaves a half-written notebook.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    os.environ.update(job.env)
    t0 = time.perf_counter()
    target = Path(job.output_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.stem}.{os.getpid()}.{time.monotonic_ns()}{layout.RUNNING_SUFFIX}"
    declared = _declared_file()
    io.write_text(declared, json.dumps(job.declared, sort_keys=True, ensure_ascii=False))
    _TEMPS.add(tmp)

    def keep_failed() -> str:
        if not tmp.exists():
            return ""
        nb = normalise(nbformat.read(tmp, as_version=4))
        io.write_text(job.failed_path, nbformat.writes(nb) + "\n")
        return job.failed_path

    km = None
    try:
        km = _take_kernel(job)
        papermill.execute_notebook(
            job.input_path, str(tmp), parameters=job.parameters or None, kernel_name=job.kernel,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            execution_timeout=job.timeout, resources={"metadata": {"path": job.cwd}}, km=km,
        )
        nb = normalise(nbformat.read(tmp, as_version=4))
        io.write_text(target, nbformat.writes(nb) + "\n")
        Path(job.failed_path).unlink(missing_ok=True)
        _write_parameters(job)
        return Result(job.out_name, True, time.perf_counter() - t0)
    except PapermillExecutionError as exc:
        kept = keep_failed()
        line = failing_line(exc.source or "", exc.exec_count, exc.traceback or [])
        msg = (f"{job.out_name}: cell {exc.cell_index} (execution count {exc.exec_count}) raised {exc.ename}: "
               f"{exc.evalue}" + (f" — at line {line[0]}: `{line[1][:80]}`" if line else ""))
        return Result(job.out_name, False, time.perf_counter() - t0, msg, exc.cell_index, exc.ename,
                      str(exc.evalue), kept)
    except Exception as exc:  # kernel death, timeout, missing kernel: report, let the other notebooks finish
        kept = keep_failed()
        msg = f"{job.out_name}: {type(exc).__name__}: {exc}"
        return Result(job.out_name, False, time.perf_counter() - t0, msg, None, type(exc).__name__, str(exc), kept)
    finally:
        if km is not None:
            _stop_kernel(km)
        tmp.unlink(missing_ok=True)
        _TEMPS.discard(tmp)
        declared.unlink(missing_ok=True)
